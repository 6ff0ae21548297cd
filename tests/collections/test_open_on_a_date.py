"""The aging, its document drill-down and DSO read what is open on a date through one
rule (billing.selectors.ar_as_of): on the same book they agree on every date, whatever
was booked afterwards (partial payments, credit applied and reversed, a reversal of a
payment application, a write-off)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.services import apply_credit_note, reverse_credit_application
from billing.writeoffs.services import request_write_off
from collections_app.reports.aging import AgingParams, ar_aging
from collections_app.reports.aging_documents import aging_documents
from collections_app.reports.dso import DsoParams, ar_balances, dso_for_period
from tests.collections.test_aging_book import apply, credit, later_events, worked_example_book

pytestmark = pytest.mark.django_db
ZERO = Decimal(0)
D = Decimal

DATES = [
    date(2026, 2, 28),
    date(2026, 3, 31),
    date(2026, 4, 12),
    date(2026, 4, 30),
    date(2026, 5, 15),
    date(2026, 5, 31),
    date(2026, 6, 30),
]


def a_book_with_everything():
    """The worked example and its April events, then:

    - 2026-04-25 400.00 more of P1 applied to D (a second partial payment)
    - 2026-05-04 credit note 500.00 on A, which owes 400.00: 100.00 goes on account
    - 2026-05-10 that 100.00 applied to D, reversed on 2026-05-20
    - 2026-06-01 200.00 of D written off
    """
    book = worked_example_book()
    later_events(book)
    apply(book.p1, book.d, "400.00", date(2026, 4, 25))
    note = credit(book.a, "500.00", date(2026, 5, 4))
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(book.d, D("100.00"))], actor=None,
        applied_date=date(2026, 5, 10),
    )  # fmt: skip
    reverse_credit_application(
        application=application, actor=None, reason="Misapplied", reversal_date=date(2026, 5, 20)
    )
    request_write_off(
        invoice=book.d, amount=D("200.00"), reason_code="bad_debt", actor=None,
        write_off_date=date(2026, 6, 1),
    )  # fmt: skip
    return book


def test_aging_documents_and_dso_agree_on_what_is_open_at_each_date():
    a_book_with_everything()
    balances = ar_balances(DATES, currency="USD")
    for as_of in DATES:
        params = AgingParams(as_of=as_of, currency="USD")
        (table,) = ar_aging(params).currencies
        documents = aging_documents(params)
        invoices_open = sum((d.open_amount for d in documents if d.kind == "invoice"), ZERO)
        unapplied = sum((d.open_amount for d in documents if d.kind != "invoice"), ZERO)
        assert (invoices_open, unapplied) == (table.open_total, table.unapplied_credits), as_of
        assert balances[as_of]["USD"] == (table.open_total, -table.unapplied_credits), as_of
        dso = dso_for_period(DsoParams(start=date(2025, 10, 1), end=as_of, currency="USD"))
        assert (dso.gross_ar, dso.ending_ar) == (table.open_total, table.net_total), as_of


def test_what_is_booked_after_a_date_does_not_change_what_was_open_on_it():
    a_book_with_everything()
    march = AgingParams(as_of=date(2026, 3, 31), currency="USD")
    # D 2,000.00 (P2 applied), A 400.00, B 1,700.00, C 500.00; P1's 900.00 unapplied.
    (table,) = ar_aging(march).currencies
    assert (table.open_total, table.unapplied_credits) == (D("4600.00"), D("-900.00"))
    june = AgingParams(as_of=date(2026, 6, 30), currency="USD")
    # D 3,000 - 400 (P1) - 200 written off, C 400.00; unapplied: P1 500, P2 1,000 (its
    # application reversed), P3 300, and the 100.00 of credit (its application reversed).
    (table,) = ar_aging(june).currencies
    assert (table.open_total, table.unapplied_credits) == (D("2800.00"), D("-1900.00"))
    open_invoices = {
        d.reference: d.open_amount for d in aging_documents(june) if d.kind == "invoice"
    }
    assert sorted(open_invoices.values()) == [D("400.00"), D("2400.00")]
