"""The revenue reports one page at a time (issue 20): the pages add up to the full
reports (the figures of the engine per contract), page_size has a maximum, the APIs can
answer the summary alone, and the query count does not grow with the book."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.revenue.selectors import (
    Scope,
    contract_balance,
    contract_balances,
    deferred_revenue_rollforward,
    revenue_waterfall,
)
from billing.revenue.selectors.paged import (
    MAX_PAGE_SIZE,
    balances_page,
    rollforward_page,
    waterfall_page,
)
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import UserFactory

from .helpers import D, activated, bill_and_issue, line, product

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 31)
START = date(2026, 1, 1)


def a_contract(price: str):
    platform = product(price, revenue_type=RevenueType.SUBSCRIPTION)
    setup = product("5000", revenue_type=RevenueType.PROFESSIONAL_SERVICES)
    return activated([line(platform, price), line(setup, "4000")])


@pytest.fixture
def book():
    contracts = [a_contract(price) for price in ("12000", "24000", "36500")]
    bill_and_issue(date(2026, 1, 1))
    return contracts


def every_page(fetch, page_size):
    rows, page = [], 1
    while True:
        shown = fetch(page, page_size)
        rows += shown.rows if hasattr(shown, "rows") else shown.report.rows
        if page >= shown.paging.pages:
            return rows, shown
        page += 1


def test_the_waterfall_pages_give_every_row_and_the_totals_of_the_full_report(book):
    full = revenue_waterfall(as_of=AS_OF, currency="USD", start=START)
    rows, last = every_page(
        lambda page, size: waterfall_page(
            as_of=AS_OF, currency="USD", start=START, page=page, page_size=size
        ),
        2,
    )
    # The services lines recognise nothing until delivered: one row per subscription.
    assert len(full.rows) == 3 and last.paging.count == 3 and last.paging.pages == 2
    assert rows == full.rows
    before, columns, after, total = full.column_totals()
    assert (last.before, last.columns, last.after, last.total) == (before, columns, after, total)


def test_the_balance_pages_give_the_engine_figures_of_each_contract(book):
    rows, last = every_page(
        lambda page, size: balances_page(AS_OF, Scope(currency="USD"), page=page, page_size=size),
        2,
    )
    assert rows == contract_balances(AS_OF, Scope(currency="USD"))
    for contract, row in zip(book, rows, strict=True):
        assert row == contract_balance(contract, AS_OF)
    assert last.totals["billed"] == sum(r.billed for r in rows) > 0
    assert last.totals["recognised"] == sum(r.recognised for r in rows) > 0
    assert last.totals["contract_liability"] == sum(r.contract_liability for r in rows)
    assert last.totals["contract_asset"] == sum(r.contract_asset for r in rows)


def test_the_rollforward_pages_match_the_full_rollforward(book):
    full = deferred_revenue_rollforward(start=date(2026, 2, 1), end=AS_OF, currency="USD")
    rows, last = every_page(
        lambda page, size: rollforward_page(
            start=date(2026, 2, 1), end=AS_OF, currency="USD", page=page, page_size=size
        ),
        2,
    )
    assert rows == full.rows and len(rows) == 3
    assert last.totals == full.totals()


def test_a_page_size_above_the_maximum_is_clamped_in_the_selector(book):
    assert waterfall_page(as_of=AS_OF, currency="USD", page_size=10_000).paging.page_size == (
        MAX_PAGE_SIZE
    )


def finance_client(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    return client


@pytest.mark.parametrize("path", ["/api/v1/revenue/balances/", "/api/v1/revenue/waterfall/"])
def test_the_apis_refuse_a_page_size_above_the_maximum(client, book, path):
    response = finance_client(client).get(f"{path}?currency=USD&page_size={MAX_PAGE_SIZE + 1}")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("page_size", "max_value")


def test_the_waterfall_api_pages_its_rows_and_gives_the_totals_of_every_row(client, book):
    api = finance_client(client)
    query = "currency=USD&as_of=2026-03-31&start=2026-01-01&page_size=2"
    first = api.get(f"/api/v1/revenue/waterfall/?{query}").json()
    second = api.get(f"/api/v1/revenue/waterfall/?{query}&page=2").json()
    assert (first["count"], first["pages"], len(first["rows"]), len(second["rows"])) == (
        3,
        2,
        2,
        1,
    )
    full = revenue_waterfall(as_of=AS_OF, currency="USD", start=START)
    assert [r["total"] for r in first["rows"] + second["rows"]] == [str(r.total) for r in full.rows]
    assert D(first["totals"]["total"]) == full.column_totals()[3]


def test_the_waterfall_api_answers_the_summary_alone(client, book):
    body = (
        finance_client(client)
        .get("/api/v1/revenue/waterfall/?currency=USD&as_of=2026-03-31&summary_only=true")
        .json()
    )
    assert body["rows"] == [] and body["count"] == 3
    assert (
        D(body["totals"]["total"])
        == revenue_waterfall(as_of=AS_OF, currency="USD").column_totals()[3]
    )


def test_the_balances_api_pages_its_list_and_tells_the_count_and_next_page(client, book):
    api = finance_client(client)
    first = api.get("/api/v1/revenue/balances/?currency=USD&as_of=2026-03-31&page_size=2")
    assert first["X-Total-Count"] == "3"
    assert 'rel="next"' in first["Link"] and "page=2" in first["Link"]
    second = api.get("/api/v1/revenue/balances/?currency=USD&as_of=2026-03-31&page_size=2&page=2")
    assert [r["contract"] for r in first.json() + second.json()] == [c.pk for c in book]
    assert 'rel="prev"' in second["Link"] and 'rel="next"' not in second["Link"]


def test_the_balances_api_answers_the_summary_alone(client, book):
    body = (
        finance_client(client)
        .get("/api/v1/revenue/balances/?currency=USD&as_of=2026-03-31&summary_only=true")
        .json()
    )
    rows = contract_balances(AS_OF, Scope(currency="USD"))
    assert body["count"] == 3
    assert D(body["billed"]) == sum(r.billed for r in rows)
    assert D(body["contract_liability"]) == sum(r.contract_liability for r in rows)


def test_the_balances_summary_needs_a_currency_and_says_so(client, book):
    response = finance_client(client).get("/api/v1/revenue/balances/?summary_only=true")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("currency", "required")


PAGES = [
    "/revenue/?as_of=2026-03-31&currency=USD",
    "/revenue/balances/?as_of=2026-03-31&currency=USD",
    "/revenue/roll-forward/?as_of=2026-03-31&start=2026-02-01&currency=USD",
    "/api/v1/revenue/balances/?as_of=2026-03-31&currency=USD",
    "/api/v1/revenue/waterfall/?as_of=2026-03-31&currency=USD",
]


def query_counts(client) -> dict[str, int]:
    counts = {}
    for path in PAGES:
        assert client.get(path).status_code == 200  # warm-up
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        counts[path] = len(queries)
    return counts


def test_the_report_pages_run_as_many_queries_for_a_larger_book(client, book):
    api = finance_client(client)
    small = query_counts(api)
    for price in ("15000", "16000", "17000"):
        a_contract(price)
    bill_and_issue(date(2026, 1, 1))
    assert query_counts(api) == small
