"""The balances and roll-forward pages rank, total and page the contract positions in SQL
(issue 20): every figure equals the per-contract figures they were summed from before
(`balance_figures`, `contract_balances`, `deferred_revenue_rollforward`), on a book with
two currencies, a credit note, an amendment accounted in its original, an expected refund
and usage revenue."""

from datetime import date

import pytest
from django.db import connection

from billing.revenue.selectors import (
    Scope,
    contract_balances,
    deferred_revenue_rollforward,
)
from billing.revenue.selectors.paged import (
    balance_figures,
    balance_totals,
    balances_page,
    rollforward_page,
)
from billing.revenue.selectors.totals import revenue_totals_drift
from billing.services import issue_credit_note, record_usage
from ordermgmt.models import RevenueType

from .helpers import D, activated, bill_and_issue, line, product
from .test_modifications import amend, vc_contract

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's"),
]
SUB = RevenueType.SUBSCRIPTION
# Before the first line, month ends and mid-month (the recognised figures come from the
# maintained totals, models_totals.py).
DATES = [
    date(2025, 12, 31),
    date(2026, 1, 31),
    date(2026, 2, 14),
    date(2026, 4, 30),
    date(2026, 5, 17),
    date(2026, 12, 31),
]


@pytest.fixture
def book(finance):
    platform = product("12000", revenue_type=SUB)
    credited = activated([line(platform, "12000")])
    original = activated([line(product("24000", revenue_type=SUB), "24000")])
    activated([line(product("9000", revenue_type=SUB, currency="EUR"), "9000")], currency="EUR")
    vc_contract()
    calls = product(None, revenue_type=RevenueType.USAGE, name="API calls")
    metered = activated([line(calls, "0.10", quantity="0")], billing_frequency="monthly")
    record_usage(
        contract_line=metered.lines.get(),
        usage_date=date(2026, 1, 10),
        quantity=D(1000),
        reference="u1",
    )
    record_usage(
        contract_line=metered.lines.get(),
        usage_date=date(2026, 3, 3),
        quantity=D(333),
        reference="u2",
    )
    invoices = bill_and_issue(date(2026, 1, 1))
    issue_credit_note(
        invoice=next(i for i in invoices if i.contract_id == credited.pk),
        actor=finance,
        reason="Goodwill",
        amount=D("1000.00"),
        credit_date=date(2026, 2, 15),
    )
    bill_and_issue(date(2026, 2, 1))
    # Not priced at SSP, remaining goods distinct: prospective, accounted in the original.
    amend(
        original,
        [line(product("6000", revenue_type=SUB), "4500")],
        priced_at_ssp=False,
        remaining=True,
    )
    bill_and_issue(date(2026, 4, 1))
    return {"original": original, "metered": metered}


def every_page(fetch, page_size=2):
    rows, page = [], 1
    while True:
        shown = fetch(page, page_size)
        rows += shown.rows
        if page >= shown.paging.pages:
            return rows, shown
        page += 1


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_the_balance_pages_equal_the_per_contract_figures_and_their_totals(book, currency):
    for as_of in DATES:
        scope = Scope(currency=currency)
        rows, last = every_page(
            lambda page, size, as_of=as_of, scope=scope: balances_page(
                as_of, scope, page=page, page_size=size
            )
        )
        assert rows == contract_balances(as_of, scope)
        assert last.paging.count == len(rows)
        assert last.totals == balance_totals(balance_figures(as_of, scope).values())
        summary = balances_page(as_of, scope, rows=False)
        assert summary.rows == [] and summary.totals == last.totals
    assert revenue_totals_drift() == []
    usd = contract_balances(date(2026, 12, 31), Scope(currency="USD"))
    assert any(r.refund_liability for r in usd) and any(r.contract_asset for r in usd)


def test_the_balance_pages_keep_the_account_and_contract_scopes(book):
    original, metered = book["original"], book["metered"]
    for scope in (
        Scope(contract_ids=(original.pk,)),
        Scope(account_id=metered.account_id),
        Scope(),
    ):
        rows, _ = every_page(
            lambda page, size, scope=scope: balances_page(
                date(2026, 4, 30), scope, page=page, page_size=size
            )
        )
        assert rows == contract_balances(date(2026, 4, 30), scope)
    (combined,) = balances_page(date(2026, 4, 30), Scope(contract_ids=(original.pk,))).rows
    # The amendment is accounted in the original: its invoices count in the original's row.
    assert combined.contract_id == original.pk and combined.billed > D("24000.00")


def test_a_page_past_the_end_shows_the_last_page(book):
    shown = balances_page(date(2026, 4, 30), Scope(currency="USD"), page=99, page_size=2)
    full = contract_balances(date(2026, 4, 30), Scope(currency="USD"))
    assert shown.paging.page == shown.paging.pages
    assert shown.rows == full[shown.paging.offset :]


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_the_rollforward_pages_equal_the_per_contract_rollforward(book, currency):
    for start, end in [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 4, 30)),
        (date(2026, 5, 1), date(2026, 12, 31)),
    ]:
        full = deferred_revenue_rollforward(start=start, end=end, currency=currency)
        rows, last = every_page(
            lambda page, size, start=start, end=end: rollforward_page(
                start=start, end=end, currency=currency, page=page, page_size=size
            )
        )
        assert rows == full.rows and last.paging.count == len(full.rows)
        assert last.totals == full.totals()
