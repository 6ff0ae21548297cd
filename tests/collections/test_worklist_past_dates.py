"""The worklist's ranking of a past date from the customers' monthly movements
(PostgreSQL, collections_app.selectors.worklist_window) gives, page by page, the accounts
and figures of the pass over every invoice, with ties on amount ordered by the oldest due
date and name, with the filters, and when a backdated credit leaves an invoice below zero
on a date (then the pass over every invoice answers)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from collections_app.selectors.worklist_ranking import ranked_accounts
from tests.collections.test_aging_book import apply, credit, issued_invoice, payment, reverse
from tests.collections.test_aging_past_dates import DATES, backdated_book
from tests.factories import AccountFactory, LegalEntityFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept by PostgreSQL triggers"),
]
D = Decimal


def tied_customers() -> None:
    """Three customers owing the same 700.00 from the same day (a tie on amount and on
    the oldest due date: the name orders them), and one owing it from a day earlier."""
    seller = LegalEntityFactory(
        name="Tie seller", is_default=False, invoice_prefix="TI-", credit_note_prefix="TICN-"
    )
    for name, day in (("Tie D", 9), ("Tie C", 10), ("Tie A", 10), ("Tie B", 10)):
        account = AccountFactory(legal_name=name)
        issued_invoice(account, "700.00", date(2026, 1, day), entity=seller)


def below_zero_customer() -> date:
    """An invoice paid, the payment reversed later, then a credit note dated between the
    two written last: between the credit note and the reversal the invoice owed less
    than nothing. Returns a date in that stretch."""
    seller = LegalEntityFactory(
        name="Odd seller", is_default=False, invoice_prefix="OD-", credit_note_prefix="ODCN-"
    )
    account = AccountFactory(legal_name="Below Zero Inc")
    invoice = issued_invoice(account, "100.00", date(2026, 2, 1), net_days=0, entity=seller)
    cash = payment(account, "100.00", date(2026, 3, 1), reference="WIRE-Z")
    application = apply(cash, invoice, "100.00", date(2026, 3, 1))
    reverse(application, date(2026, 3, 20))
    credit(invoice, "100.00", date(2026, 3, 5))
    return date(2026, 3, 10)


def every_page(as_of: date, show: str = "", limit: int = 2) -> list:
    pages, offset = [], 0
    while True:
        page, count = ranked_accounts(as_of=as_of, show=show, offset=offset, limit=limit)
        whole, whole_count = ranked_accounts(
            as_of=as_of, show=show, offset=offset, limit=limit, every_invoice=True
        )
        assert (page, count) == (whole, whole_count), (as_of, show, offset)
        if not page:
            return pages
        pages.extend(page)
        offset += limit


def test_a_past_dates_ranking_pages_equal_the_pass_over_every_invoice():
    backdated_book()
    tied_customers()
    odd_day = below_zero_customer()
    for as_of in [*DATES, odd_day, date(2026, 3, 4), date(2026, 3, 21), date.today()]:
        everyone = every_page(as_of)
        full, _ = ranked_accounts(as_of=as_of, every_invoice=True)
        assert everyone == full, as_of
    ties = [r for r in every_page(date(2026, 3, 31)) if r.ranking_amount == D("700.00")]
    assert len(ties) == 4
    assert ties[0].oldest_due_date < ties[1].oldest_due_date == ties[3].oldest_due_date
    for show in ("calls", "paused", "broken"):
        every_page(date(2026, 4, 30), show=show)


def test_an_invoice_below_zero_on_the_date_is_ranked_as_the_pass_over_every_invoice_ranks():
    odd_day = below_zero_customer()
    page, count = ranked_accounts(as_of=odd_day, offset=0, limit=5)
    assert (page, count) == ranked_accounts(as_of=odd_day, offset=0, limit=5, every_invoice=True)
    # Below zero, it owes nothing overdue that day: the account is not on the list.
    assert page == [] and count is None
