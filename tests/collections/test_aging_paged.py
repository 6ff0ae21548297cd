"""The aging one page at a time (issue 20): the rows and totals summed in the database
(aging_page, aging_totals, and ar_aging built from the same statement) equal the
figures of every invoice added up in Python the way the report used to be built, on
both bases, with custom buckets, a currency filter, a past date and today; the pages
follow the report's orders and add up to the whole; the API answers one page or the
summary alone; the home page reads the totals only."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from collections_app.reports.aging import (
    ZERO,
    AgingBasis,
    AgingParams,
    AgingSort,
    aging_figures,
    aging_page,
    aging_totals,
    ar_aging,
)
from ordermgmt import roles
from ordermgmt.models import Account
from tests.collections.test_aging_book import apply, issued_invoice, payment
from tests.collections.test_aging_past_dates import backdated_book
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
AGING_API = "/api/v1/reports/ar-aging/"
AGING_PAGE = "/collections/aging/"


def a_book_of_many_customers():
    """The past-dates book (backdated movements, EUR, credit on account, a void today)
    and six more customers: names that sort differently by case, two with the same
    balance (ties go by name), one whose figures cancel out (no row), unapplied cash
    alone, and EUR rows."""
    book, late = backdated_book()  # its EUR rate is dated 2026-01-01
    names = ["delta Traders", "Charlie Inc", "alpha Works", "Bravo plc", "echo GmbH", "Zeta"]
    accounts = {name: AccountFactory(legal_name=name) for name in names}
    issued_invoice(accounts["delta Traders"], "700.00", date(2026, 1, 10))
    issued_invoice(accounts["Charlie Inc"], "700.00", date(2026, 2, 10))  # same balance
    issued_invoice(accounts["alpha Works"], "120.00", date(2026, 3, 1), net_days=60)
    issued_invoice(accounts["alpha Works"], "80.00", date(2025, 11, 1), currency="EUR")
    bravo = issued_invoice(accounts["Bravo plc"], "400.00", date(2026, 2, 1))
    apply(payment(accounts["Bravo plc"], "400.00", date(2026, 2, 15)), bravo, "400.00",
          date(2026, 2, 15))  # fmt: skip
    payment(accounts["echo GmbH"], "55.00", date(2026, 3, 2))  # unapplied cash alone
    issued_invoice(accounts["Zeta"], "9000.00", date(2026, 5, 1), currency="EUR")
    return book, late


def python_report(params: AgingParams) -> tuple[list[tuple], dict]:
    """The report as it was built before issue 20, from every invoice: rows (currency,
    account_id, name, buckets, credits) sorted by currency then name (casefolded) then
    id, zero rows left out; totals {currency: (count, buckets, credits)} added in Python."""
    buckets, unapplied = aging_figures(params, every_invoice=True)
    n = len(params.edges) + 2
    names = dict(Account.objects.values_list("pk", "legal_name"))
    rows = []
    for key in set(buckets) | set(unapplied):
        figures = list(buckets.get(key, [ZERO] * n))
        credits = -unapplied.get(key, ZERO)
        if any(figures) or credits:
            rows.append((key[1], key[0], names[key[0]], figures, credits))
    rows.sort(key=lambda r: (r[0], r[2].casefold(), r[1]))
    totals = {}
    for currency, _, _, figures, credits in rows:
        count, sums, credit_sum = totals.get(currency, (0, [ZERO] * n, ZERO))
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
        totals[currency] = (count + 1, sums, credit_sum + credits)
    return rows, totals


def shown_rows(report) -> list[tuple]:
    return [
        (t.currency, r.account_id, r.account_name, r.buckets, r.unapplied_credits)
        for t in report.currencies
        for r in t.rows
    ]


def shown_totals(report) -> dict:
    return {
        t.currency: (t.customer_count, t.buckets, t.unapplied_credits) for t in report.currencies
    }


def every_page(params, page_size, sort=AgingSort.NAME) -> list[tuple]:
    rows, page = [], 1
    while True:
        shown = aging_page(params, page=page, page_size=page_size, sort=sort)
        found = shown_rows(shown.report)
        assert len(found) <= page_size
        if not found:
            assert page == shown.paging.pages + 1 or shown.paging.count == 0
            return rows
        rows += found
        page += 1


def the_cases():
    today = timezone.localdate()
    for as_of in (date(2026, 3, 15), date(2026, 6, 30), today):  # past dates and today
        for basis in (AgingBasis.DUE_DATE, AgingBasis.INVOICE_DATE):
            for edges, currency in (((30, 60, 90, 120), None), ((15, 45), "EUR"), ((7,), None)):
                yield AgingParams(as_of=as_of, basis=basis, edges=edges, currency=currency)


def test_pages_and_totals_equal_every_invoice_added_up_in_python():
    a_book_of_many_customers()
    for params in the_cases():
        rows, totals = python_report(params)
        assert rows, params
        assert every_page(params, 2) == rows, params
        assert shown_rows(ar_aging(params)) == rows, params
        assert shown_totals(ar_aging(params)) == totals, params
        report = aging_totals(params)
        assert shown_totals(report) == totals and shown_rows(report) == [], params
        assert report.row_count == len(rows)
        per_currency = aging_totals(params, count_customers=False)
        assert {c: t[1:] for c, t in shown_totals(per_currency).items()} == {
            c: t[1:] for c, t in totals.items()
        }, params
        assert per_currency.reporting.buckets == report.reporting.buckets


def test_every_path_of_the_full_report_gives_the_same_rows_and_totals():
    a_book_of_many_customers()
    for params in the_cases():
        full, every_invoice = ar_aging(params), ar_aging(params, every_invoice=True)
        assert shown_rows(full) == shown_rows(every_invoice), params
        assert shown_totals(full) == shown_totals(every_invoice), params
        assert full.reporting.buckets == every_invoice.reporting.buckets


def test_a_page_of_one_customer_keeps_every_currencys_totals_and_the_reporting_total():
    a_book_of_many_customers()
    params = AgingParams(as_of=date(2026, 6, 30))
    whole = ar_aging(params)
    first = aging_page(params, page=1, page_size=1).report
    assert [len(t.rows) for t in first.currencies] == [1, 0]  # EUR first, then USD
    assert shown_totals(first) == shown_totals(whole)
    assert first.reporting.buckets == whole.reporting.buckets
    assert first.reporting.unapplied_credits == whole.reporting.unapplied_credits


def test_pages_sorted_by_balance_or_overdue_go_largest_first_ties_by_name():
    a_book_of_many_customers()
    params = AgingParams(as_of=date(2026, 6, 30))
    rows, _ = python_report(params)
    by_net = sorted(rows, key=lambda r: (r[0], -(sum(r[3], ZERO) + r[4])))  # stable: names
    by_overdue = sorted(rows, key=lambda r: (r[0], -sum(r[3][1:], ZERO)))
    assert every_page(params, 3, AgingSort.NET) == by_net
    assert every_page(params, 3, AgingSort.OVERDUE) == by_overdue
    usd = [r[2] for r in by_net if r[0] == "USD"]
    assert usd.index("Charlie Inc") + 1 == usd.index("delta Traders")  # 700.00 each


def test_names_sort_without_regard_to_case_and_a_cancelled_out_customer_has_no_row():
    a_book_of_many_customers()
    report = ar_aging(AgingParams(as_of=date(2026, 6, 30), currency="USD"))
    names = [r.account_name for r in report.currencies[0].rows]
    assert names.index("alpha Works") < names.index("Charlie Inc") < names.index("delta Traders")
    assert "Bravo plc" not in names
    assert next(r for r in report.currencies[0].rows if r.account_name == "echo GmbH").buckets \
        == [ZERO] * 6  # fmt: skip


def test_the_page_past_the_end_has_no_rows_but_the_totals():
    a_book_of_many_customers()
    params = AgingParams(as_of=date(2026, 6, 30))
    shown = aging_page(params, page=99, page_size=5)
    assert shown_rows(shown.report) == []
    assert shown_totals(shown.report) == shown_totals(ar_aging(params))
    assert shown.paging.count == ar_aging(params).row_count
    assert not shown.paging.has_next()
    assert shown_rows(aging_page(params, page=10**20, page_size=5).report) == []


def test_a_page_is_one_statement_whatever_the_page():
    a_book_of_many_customers()
    params = AgingParams(as_of=timezone.localdate())
    counts = []
    for page in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            aging_page(params, page=page, page_size=2)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def api(client, role=roles.FINANCE):
    client.force_login(UserFactory(role=role))
    return client


def test_the_api_pages_add_up_to_the_whole_and_each_carries_every_total(client):
    a_book_of_many_customers()
    client = api(client)
    whole = client.get(AGING_API, {"as_of": "2026-06-30", "page_size": 1000}).json()
    pages, page = [], 1
    while True:
        body = client.get(AGING_API, {"as_of": "2026-06-30", "page_size": 3, "page": page})
        body = body.json()
        assert body["count"] == whole["count"] and body["page_size"] == 3
        assert [c["totals"] for c in body["currencies"]] == [
            c["totals"] for c in whole["currencies"]
        ]
        assert body["reporting_total"] == whole["reporting_total"]
        pages += [(c["currency"], r) for c in body["currencies"] for r in c["rows"]]
        if body["next"] is None:
            break
        page += 1
    assert pages == [(c["currency"], r) for c in whole["currencies"] for r in c["rows"]]
    assert len(pages) == whole["count"] and page == -(-whole["count"] // 3)


def test_the_api_answers_the_summary_alone(client):
    a_book_of_many_customers()
    client = api(client)
    query = {"as_of": "2026-06-30", "basis": "invoice_date", "edges": "15,45"}
    whole = client.get(AGING_API, query | {"page_size": 1000}).json()
    summary = client.get(AGING_API, query | {"summary_only": "true"}).json()
    assert summary["summary_only"] is True and summary["next"] is None
    assert all(c["rows"] == [] for c in summary["currencies"])
    assert [c["totals"] for c in summary["currencies"]] == [
        c["totals"] for c in whole["currencies"]
    ]
    assert summary["reporting_total"] == whole["reporting_total"]
    assert summary["count"] == whole["count"] == sum(len(c["rows"]) for c in whole["currencies"])


def test_the_schema_documents_page_page_size_and_summary_only(client):
    schema = api(client).get("/api/v1/schema/", {"format": "json"}).json()
    parameters = {p["name"] for p in schema["paths"][AGING_API]["get"]["parameters"]}
    assert {"page", "page_size", "summary_only", "as_of", "basis", "edges"} <= parameters


def test_the_aging_page_shows_one_page_of_customers_with_every_total(client, monkeypatch):
    aging_views = importlib.import_module("collections_app.views_reports.aging")
    a_book_of_many_customers()
    monkeypatch.setattr(aging_views, "ROWS_PER_PAGE", 2)
    client = api(client)
    rows, _ = python_report(AgingParams(as_of=date(2026, 6, 30)))
    seen = []
    for page in (1, 2, 3, 4):
        response = client.get(AGING_PAGE, {"as_of": "2026-06-30", "page": page})
        context = response.context
        assert context["page"].count == len(rows)
        for table in context["tables"]:
            seen += [(table["currency"], row.account_id) for row in table["rows"]]
            assert table["count"] == sum(1 for r in rows if r[0] == table["currency"])
        html = response.content.decode()
        assert f"Page {page} of {-(-len(rows) // 2)}" in html
    assert seen == [(r[0], r[1]) for r in rows][: len(seen)] and len(seen) == 8
    by_net = client.get(AGING_PAGE, {"as_of": "2026-06-30", "sort": "net"}).context
    usd = next(t for t in by_net["tables"] if t["currency"] == "EUR")
    assert [r.name for r in usd["rows"]][:1] == ["Zeta"]


def test_the_finance_home_shows_the_aging_totals_of_every_customer(client):
    a_book_of_many_customers()
    report = ar_aging(AgingParams(as_of=timezone.localdate()))
    assert report.row_count > 1
    client.force_login(UserFactory(role=roles.FINANCE))
    panels = dict(client.get("/").context["panels"])
    figures = {f.key: f.value for f in panels["finance"].figures}
    for group in panels["finance"].groups.values():
        figures |= {f.key: f.value for f in group}
    money = lambda text: D(text.replace("$", "").replace(",", ""))  # noqa: E731
    assert money(figures["ar-total"]) == report.reporting.open_total
    assert money(figures["ar-overdue"]) == report.reporting.overdue_total
    assert money(figures["overdue-over_120"]) == report.reporting.buckets[-1]
