"""DSO reads the book once: AR balances for every trend date from one grouped query per
table (running sums over the day each row counts from), shared by the period figure and
the trend. The figures stay those of the as-of rules (the aging) and of the period and
trend computed on their own. bench/dso.py times it against hand-written SQL."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collections_app.reports.aging import AgingParams, ar_aging
from collections_app.reports.dso import (
    DsoParams,
    ar_balances,
    dso_for_period,
    dso_trend,
    dso_with_trend,
    trend_ends,
)
from tests.collections.test_aging_book import (
    apply,
    credit,
    fx,
    issued_invoice,
    later_events,
    payment,
    refund,
    worked_example_book,
)
from tests.factories import AccountFactory, LegalEntityFactory

pytestmark = pytest.mark.django_db
ZERO = Decimal(0)


def a_book():
    """Invoices, credit notes, applications and a reversal, unapplied cash and a refund,
    in USD and EUR, spread over months (so that each trend date sees a different book).
    An application dated before its invoice counts only from the invoice's date."""
    book = worked_example_book()
    later_events(book)
    globex = AccountFactory(legal_name="Globex GmbH", default_currency="EUR")
    # Billed by a second entity: its own number series, so its dates need not follow Acme's.
    europe = LegalEntityFactory(name="Ledgerline Europe GmbH", is_default=False)
    eur = issued_invoice(globex, "7300.00", date(2025, 11, 14), currency="EUR", entity=europe)
    credit(eur, "300.00", date(2026, 1, 9))
    wire = payment(globex, "5000.00", date(2025, 12, 20), currency="EUR")
    apply(wire, eur, "4000.00", date(2025, 12, 22))
    refund(wire, "500.00", date(2026, 2, 2))
    later = issued_invoice(globex, "900.00", date(2026, 2, 27), currency="EUR", entity=europe)
    apply(wire, later, "400.00", date(2026, 2, 27))
    for month in range(1, 13):
        fx("EUR", f"1.{month + 10:02d}", date(2025, month, 1))
        fx("EUR", f"1.{month + 20:02d}", date(2026, month, 1))
        fx("USD", f"0.{month + 80:02d}", date(2025, month, 1), reporting="EUR")
    return book


DATES = [
    date(2025, 9, 30),
    date(2025, 10, 1),
    date(2025, 12, 21),
    date(2026, 1, 31),
    date(2026, 2, 27),
    date(2026, 3, 31),
    date(2026, 4, 12),
    date(2026, 6, 30),
]


def test_ar_balances_at_many_dates_equal_the_aging_of_each_date():
    a_book()
    balances = ar_balances(DATES)
    for as_of in DATES:
        aging = {t.currency: t for t in ar_aging(AgingParams(as_of=as_of)).currencies}
        for code in ("USD", "EUR"):
            gross, unapplied = balances[as_of].get(code, (ZERO, ZERO))
            table = aging.get(code)
            expected = (table.open_total, -table.unapplied_credits) if table else (ZERO, ZERO)
            assert (gross, unapplied) == expected, (as_of, code)
        alone = ar_balances([as_of])[as_of]
        assert nonzero(alone) == nonzero(balances[as_of]), as_of


def nonzero(per_currency: dict) -> dict:
    return {code: sums for code, sums in per_currency.items() if any(sums)}


def test_one_currency_only_reads_that_currency():
    a_book()
    balances = ar_balances(DATES, currency="EUR")
    assert all(set(per) <= {"EUR"} for per in balances.values())
    assert balances[date(2026, 3, 31)]["EUR"] == ar_balances(DATES)[date(2026, 3, 31)]["EUR"]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"method": "countback"},
        {"ar_basis": "gross", "month_days": "30"},
        {"currency": "EUR", "method": "countback"},
        {"reporting_currency": "EUR"},
    ],
)
def test_the_page_figures_equal_the_period_and_the_trend_computed_apart(options):
    a_book()
    params = DsoParams(start=date(2025, 7, 1), end=date(2026, 4, 30), **options)
    result, trend = dso_with_trend(params)
    alone = dso_for_period(params)
    assert (result.ending_ar, result.gross_ar, result.unapplied_credits, result.credit_sales) == (
        alone.ending_ar, alone.gross_ar, alone.unapplied_credits, alone.credit_sales,
    )  # fmt: skip
    assert (result.simple, result.dso, result.countback) == (
        alone.simple,
        alone.dso,
        alone.countback,
    )
    assert (result.rates, result.missing_rates) == (alone.rates, alone.missing_rates)
    assert trend == dso_trend(params)
    assert [p.as_of for p in trend] == trend_ends(params.end)
    assert any(p.dso is not None for p in trend)


def test_the_book_is_read_once_however_many_trend_months():
    """One query per table for the balances and two for the sales, whatever the number of
    trend points (FX rates aside: one small lookup per point and foreign currency)."""
    account = AccountFactory()
    for month in range(1, 13):
        invoice = issued_invoice(account, "1000.00", date(2025, month, 10))
        paid_on = date(2025, month, 20)
        apply(payment(account, "600.00", paid_on), invoice, "600.00", paid_on)
    params = DsoParams(start=date(2025, 1, 1), end=date(2025, 12, 31))

    def book_queries(months: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            dso_with_trend(params, months)
        return sum("billing_fxrate" not in q["sql"] for q in queries.captured_queries)

    once = book_queries(12)
    assert book_queries(3) == once == book_queries(24) <= 10  # one per term, two for sales
    with CaptureQueriesContext(connection) as apart:
        dso_for_period(params)
        dso_trend(params)
    assert len(apart.captured_queries) == 2 * once  # each reads the book on its own


def test_a_currency_only_in_older_trend_months_needs_no_rate_for_the_period():
    """The trend walks back further than the period's countback; sharing the reading must
    not make the period figure ask for a rate it does not use. EUR sales in Dec 2022 (paid
    at once): the period ending Dec 2025 does not reach them (36 months back: from Jan
    2023), the trend's first points do, and there is no EUR rate."""
    usd, eur = AccountFactory(), AccountFactory(default_currency="EUR")
    for month in range(1, 13):
        issued_invoice(usd, "1000.00", date(2025, month, 10))
    old = issued_invoice(eur, "500.00", date(2022, 12, 15), currency="EUR")
    on = date(2022, 12, 20)
    apply(payment(eur, "500.00", on, currency="EUR"), old, "500.00", on)
    params = DsoParams(start=date(2025, 1, 1), end=date(2025, 12, 31))

    result, trend = dso_with_trend(params)

    assert result.missing_rates == [] and result.dso is not None
    assert result.dso == dso_for_period(params).dso
    assert trend[0].dso is None  # Jan 2025 walks back to Feb 2022: EUR sales, no rate
    assert trend == dso_trend(params)


def test_ar_balances_count_credit_on_account_as_the_aging_does():
    """A credit note on a paid invoice leaves its credit on account (unapplied), which is
    applied to another invoice later: net AR as of each date equals the aging's."""
    from billing.services import apply_credit_note

    account = AccountFactory()
    paid = issued_invoice(account, "1000.00", date(2026, 1, 10))
    apply(payment(account, "1000.00", date(2026, 1, 10)), paid, "1000.00", date(2026, 1, 10))
    note = credit(paid, "200.00", date(2026, 2, 1))
    other = issued_invoice(account, "500.00", date(2026, 2, 1))
    apply_credit_note(
        credit_note=note,
        allocations=[(other, Decimal("150.00"))],
        actor=None,
        applied_date=date(2026, 3, 10),
    )
    dates = [date(2026, 1, 31), date(2026, 2, 15), date(2026, 3, 15)]
    balances = ar_balances(dates)
    assert balances[dates[0]]["USD"] == (ZERO, ZERO)  # paid in full, no credit yet
    for as_of in dates[1:]:
        (table,) = ar_aging(AgingParams(as_of=as_of)).currencies
        assert balances[as_of]["USD"] == (table.open_total, -table.unapplied_credits), as_of
