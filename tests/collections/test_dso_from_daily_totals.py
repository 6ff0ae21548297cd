"""DSO's AR balances and credit sales from the maintained daily totals (PostgreSQL) are
those summed from every movement, on every date before, between and after the bookings,
per currency and for one currency; and so are the DSO figures and trend."""

from datetime import date, timedelta

import pytest

from collections_app.reports.dso import DsoParams, ar_balances
from collections_app.reports.dso.book import credit_sales_by_day, dso_with_trend
from tests.billing.test_open_balances_check import a_book_with_every_movement
from tests.collections.test_aging_book import fx, issued_invoice

pytestmark = pytest.mark.django_db


def test_the_balances_and_sales_from_the_daily_totals_equal_those_from_every_movement():
    book = a_book_with_every_movement()
    issued_invoice(book.account, "90.00", date(2026, 1, 10), currency="EUR")
    fx("EUR", "1.10", date(2026, 1, 1))
    dates = [date(2025, 9, 1) + timedelta(days=11 * n) for n in range(40)]
    for currency in (None, "USD", "EUR"):
        assert ar_balances(dates, currency) == ar_balances(dates, currency, every_movement=True)
        sales = credit_sales_by_day(dates[0], dates[-1], currency)
        every = credit_sales_by_day(dates[0], dates[-1], currency, every_movement=True)
        assert sales == {key: amount for key, amount in every.items() if amount}
        assert sales
    params = DsoParams(start=date(2025, 10, 1), end=date(2026, 6, 30))
    assert dso_with_trend(params) == dso_with_trend(params, every_movement=True)
