"""The aging's buckets from the customers' maintained open balances (PostgreSQL) are the
sums of every invoice's open amount as of the date, for every date before, between and
after the bookings, on both bases, with custom buckets and with the filters: the
maintained figures change how the report reads the book, not what it says."""

from datetime import date, timedelta

import pytest

from collections_app.reports.aging import AgingBasis, AgingParams, _unapplied, open_by_bucket
from tests.billing.test_open_balances_check import a_book_with_every_movement
from tests.collections.test_aging_book import fx, issued_invoice

pytestmark = pytest.mark.django_db


def buckets(params, account_id=None, *, every_invoice=False) -> dict:
    """The customers with something open as of the date (both ways may also list a
    customer whose buckets are all zero then; the report leaves those out)."""
    found = open_by_bucket(params, account_id, every_invoice=every_invoice)
    return {key: values for key, values in found.items() if any(values)}


def test_the_buckets_from_the_maintained_balances_equal_those_from_every_invoice():
    book = a_book_with_every_movement()
    # An invoice dated after some report dates and one in another currency.
    issued_invoice(book.account, "700.00", date(2026, 5, 20), net_days=60)
    issued_invoice(book.account, "90.00", date(2026, 1, 10), currency="EUR")
    fx("EUR", "1.10", date(2026, 1, 1))
    day, checked = date(2025, 9, 15), 0
    while day <= date(2026, 9, 30):
        for basis in (AgingBasis.DUE_DATE, AgingBasis.INVOICE_DATE):
            for edges, currency in (((30, 60, 90, 120), None), ((15, 45), "USD")):
                params = AgingParams(as_of=day, basis=basis, edges=edges, currency=currency)
                maintained = buckets(params)
                assert maintained == buckets(params, every_invoice=True), params
                checked += bool(maintained)
            if basis == AgingBasis.DUE_DATE:
                left = {k: v for k, v in _unapplied(params, None).items() if v}
                every = _unapplied(params, None, every_invoice=True)
                assert left == {k: v for k, v in every.items() if v}, params
        day += timedelta(days=9)
    assert checked > 100
    one = AgingParams(as_of=date(2026, 4, 30))
    assert buckets(one, book.account.pk) == buckets(one, book.account.pk, every_invoice=True)
