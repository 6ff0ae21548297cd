"""DSO: the research worked examples AR-DSO-001..004, by the arithmetic alone and
through a real book of invoices and payments."""

from datetime import date
from decimal import Decimal

import pytest

from collections_app.reports.dso import (
    DsoParams,
    MonthSales,
    countback_dso,
    countback_months,
    credit_sales,
    dso_for_period,
    dso_trend,
    simple_dso,
)
from core.errors import DomainValidationError
from tests.collections.test_aging_book import apply, credit, fx, issued_invoice, payment
from tests.factories import AccountFactory

D = Decimal


def two(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"))


# --- The arithmetic --------------------------------------------------------------------


def test_ar_dso_001_simple_dso():
    """[AR-DSO-001] Simple DSO = ending AR / credit sales x days in the period:
    150,000 / 1,800,000 = 0.083333...; x 365 = 30.416666... -> 30.42 (2 decimals shown,
    full precision kept)."""
    value = simple_dso(D("150000"), D("1800000"), 365)
    assert two(value) == D("30.42")
    assert value != D("30.42")  # not rounded before display


def test_ar_dso_002_countback_with_30_day_months():
    """[AR-DSO-002] AR 212,000; credit sales, latest month first: 100,000, 80,000,
    70,000; 30-day months.

    1. Month 3: 100,000 <= 212,000 -> whole month, 30 days; 112,000 left.
    2. Month 2: 80,000 <= 112,000 -> whole month, 30 days; 32,000 left.
    3. Month 1: 70,000 covers the 32,000 left -> 30 x 32,000 / 70,000 = 13.714 days.

    DSO = 30 + 30 + 13.714... = 73.71."""
    months = [
        MonthSales(date(2026, 3, 1), 30, D("100000")),
        MonthSales(date(2026, 2, 1), 30, D("80000")),
        MonthSales(date(2026, 1, 1), 30, D("70000")),
    ]
    result = countback_dso(D("212000"), months)
    assert two(result.dso) == D("73.71")
    assert [s.full_month for s in result.steps] == [True, True, False]
    assert [s.ar_before for s in result.steps] == [D("212000"), D("112000"), D("32000")]
    assert not result.exhausted


def test_ar_dso_003_countback_with_calendar_days():
    """[AR-DSO-003] AR 2,000 at the end of January; credit sales Jan 200, Dec 400,
    Nov 600, Oct 700, Sep 500; actual calendar days.

    1. Jan: 200 -> 31 days, 1,800 left.   2. Dec: 400 -> 31 days, 1,400 left.
    3. Nov: 600 -> 30 days, 800 left.     4. Oct: 700 -> 31 days, 100 left.
    5. Sep: 500 covers 100 -> 30 x 100 / 500 = 6 days.

    DSO = 31 + 31 + 30 + 31 + 6 = 129."""
    sales = [D("200"), D("400"), D("600"), D("700"), D("500")]
    months = [
        MonthSales(first, days, amount)
        for (first, days), amount in zip(
            countback_months(date(2026, 1, 31), "actual", 5), sales, strict=True
        )
    ]
    assert [m.days for m in months] == [31, 31, 30, 31, 30]
    assert countback_dso(D("2000"), months).dso == D("129")


def test_countback_that_runs_out_of_sales_says_so():
    result = countback_dso(D("1000"), [MonthSales(date(2026, 1, 1), 31, D("100"))])
    assert result.exhausted and result.dso == D("31")


def test_no_sales_gives_no_simple_dso():
    assert simple_dso(D("100"), D("0"), 30) is None


def test_the_period_must_end_after_it_starts():
    with pytest.raises(DomainValidationError) as err:
        DsoParams(start=date(2026, 2, 1), end=date(2026, 1, 31))
    assert (err.value.field, err.value.code) == ("end", "before_start")


# --- Through the book --------------------------------------------------------------------


@pytest.mark.django_db
def test_ar_dso_001_through_invoices_and_payments():
    """2025 (365 days): twelve invoices of 150,000.00, one per month = 1,800,000.00 credit
    sales; all paid but December's, so AR on 2025-12-31 is 150,000.00.
    Simple DSO = 150,000 / 1,800,000 x 365 = 30.42."""
    account = AccountFactory()
    invoices = [issued_invoice(account, "150000.00", date(2025, m, 15)) for m in range(1, 13)]
    cash = payment(account, "1650000.00", date(2025, 12, 20))
    for invoice in invoices[:-1]:
        apply(cash, invoice, "150000.00", date(2025, 12, 20))
    result = dso_for_period(DsoParams(start=date(2025, 1, 1), end=date(2025, 12, 31)))
    assert (result.ending_ar, result.credit_sales, result.days) == (
        D("150000.00"), D("1800000.00"), 365,
    )  # fmt: skip
    assert two(result.dso) == D("30.42")


@pytest.mark.django_db
def test_ar_dso_002_through_the_book_with_30_day_months():
    """Jan 70,000, Feb 80,000, Mar 100,000 invoiced in 2026; 38,000 of January's paid,
    so AR on 03-31 is 212,000. Countback with 30-day months: 73.71 (AR-DSO-002). With
    calendar days (the default) the same walk counts Mar 31 + Feb 28 + 31 x 32/70 =
    73.17."""
    account = AccountFactory()
    january = issued_invoice(account, "70000.00", date(2026, 1, 10))
    issued_invoice(account, "80000.00", date(2026, 2, 10))
    issued_invoice(account, "100000.00", date(2026, 3, 10))
    apply(payment(account, "38000.00", date(2026, 2, 1)), january, "38000.00", date(2026, 2, 1))
    period = {"start": date(2026, 1, 1), "end": date(2026, 3, 31), "method": "countback"}
    thirty = dso_for_period(DsoParams(**period, month_days="30"))
    assert thirty.ending_ar == D("212000.00")
    assert two(thirty.dso) == D("73.71")
    assert two(dso_for_period(DsoParams(**period)).dso) == D("73.17")


@pytest.mark.django_db
def test_ar_dso_003_through_the_book_with_calendar_days():
    """Sep 2025 500, Oct 700, Nov 600, Dec 400, Jan 2026 200 invoiced; 400 of
    September's paid: AR 2,000 on 2026-01-31 -> countback 129 days (AR-DSO-003)."""
    account = AccountFactory()
    september = issued_invoice(account, "500.00", date(2025, 9, 5))
    for month, amount in [((2025, 10), "700"), ((2025, 11), "600"), ((2025, 12), "400"),
                          ((2026, 1), "200")]:  # fmt: skip
        issued_invoice(account, amount, date(*month, 5))
    apply(payment(account, "400.00", date(2025, 10, 1)), september, "400.00", date(2025, 10, 1))
    result = dso_for_period(
        DsoParams(start=date(2025, 9, 1), end=date(2026, 1, 31), method="countback")
    )
    assert result.ending_ar == D("2000.00")
    assert result.dso == D("129")


@pytest.mark.django_db
def test_ar_dso_004_net_ar_by_default_gross_as_a_setting_and_actual_days():
    """[AR-DSO-004] Defaults: net AR (after unapplied credits) and the actual days of the
    period. 2024 is a leap year: 366 days. Invoiced 1,830,000.00; AR 150,000.00 open and
    30,000.00 cash received but unapplied.

    Net: (150,000 - 30,000) / 1,830,000 x 366 = 24.00. Gross: 150,000 / 1,830,000 x 366
    = 30.00."""
    account = AccountFactory()
    paid = issued_invoice(account, "1680000.00", date(2024, 3, 1))
    issued_invoice(account, "150000.00", date(2024, 11, 1))
    apply(payment(account, "1680000.00", date(2024, 6, 1)), paid, "1680000.00", date(2024, 6, 1))
    payment(account, "30000.00", date(2024, 12, 20))  # not applied
    period = {"start": date(2024, 1, 1), "end": date(2024, 12, 31)}
    net = dso_for_period(DsoParams(**period))
    assert (net.days, net.ending_ar, net.unapplied_credits) == (
        366, D("120000.00"), D("-30000.00"),
    )  # fmt: skip
    assert two(net.dso) == D("24.00")
    gross = dso_for_period(DsoParams(**period, ar_basis="gross"))
    assert two(gross.dso) == D("30.00")


@pytest.mark.django_db
def test_credit_sales_are_invoices_incl_tax_less_credit_notes_dated_in_the_period():
    """Invoiced 1,000 in June; credit note 200 dated in June, 50 dated in July:
    June credit sales 800, July -50; the invoice of July 1 counts in July only."""
    account = AccountFactory()
    invoice = issued_invoice(account, "1000.00", date(2026, 6, 10))
    credit(invoice, "200.00", date(2026, 6, 20))
    credit(invoice, "50.00", date(2026, 7, 2))
    issued_invoice(account, "300.00", date(2026, 7, 1))
    assert credit_sales(date(2026, 6, 1), date(2026, 6, 30)) == {"USD": D("800.00")}
    assert credit_sales(date(2026, 7, 1), date(2026, 7, 31)) == {"USD": D("250.00")}


@pytest.mark.django_db
def test_dso_across_currencies_converts_at_the_end_date_rate_or_says_what_is_missing():
    """USD 1,000 sales / 500 AR; EUR 1,000 sales / 1,000 AR at 1.10: AR 1,600 / sales
    2,100 x 30 days = 22.86. Without an EUR rate: no figure, a message."""
    usd, eur = AccountFactory(), AccountFactory()
    invoice = issued_invoice(usd, "1000.00", date(2026, 4, 5))
    apply(payment(usd, "500.00", date(2026, 4, 10)), invoice, "500.00", date(2026, 4, 10))
    issued_invoice(eur, "1000.00", date(2026, 4, 5), currency="EUR")
    params = DsoParams(start=date(2026, 4, 1), end=date(2026, 4, 30))
    missing = dso_for_period(params)
    assert missing.dso is None and missing.missing_rates == ["EUR"]
    assert "No USD rate for EUR" in missing.missing_rate_message
    fx("EUR", "1.10", date(2026, 4, 30))
    result = dso_for_period(params)
    assert (result.ending_ar, result.credit_sales) == (D("1600.00"), D("2100.00"))
    assert two(result.dso) == D("22.86")
    only_eur = dso_for_period(DsoParams(start=date(2026, 4, 1), end=date(2026, 4, 30),
                                        currency="EUR"))  # fmt: skip
    assert (only_eur.currency, only_eur.ending_ar, two(only_eur.dso)) == (
        "EUR", D("1000.00"), D("30.00"),
    )  # fmt: skip


@pytest.mark.django_db
def test_the_trend_has_a_point_per_month_end():
    """Monthly invoices of 3,000 from Jan 2026, each paid after a month: at each month end
    one month's invoice is open, so simple DSO per month = 3,000 / 3,000 x days in month."""
    account = AccountFactory()
    invoices = [issued_invoice(account, "3000.00", date(2026, m, 1)) for m in range(1, 7)]
    for previous in invoices[:-1]:
        on = date(2026, previous.invoice_date.month + 1, 1)
        apply(payment(account, "3000.00", on), previous, "3000.00", on)
    trend = dso_trend(DsoParams(start=date(2026, 1, 1), end=date(2026, 6, 30)), months=6)
    assert [p.as_of for p in trend] == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30),
        date(2026, 5, 31), date(2026, 6, 30),
    ]  # fmt: skip
    assert [p.dso for p in trend] == [D(31), D(28), D(31), D(30), D(31), D(30)]
