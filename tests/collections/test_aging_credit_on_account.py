"""AR aging with credit on account, worked step by step.

The book (USD, due-date basis, default edges 30/60/90/120):

- 10 Jan: invoice A 1,000.00, net 30 -> due 9 Feb; paid in full on 10 Jan.
- 1 Feb: credit note on A for 200.00. A owed nothing, so all 200.00 goes on account.
- 1 Feb: invoice B 500.00, net 30 -> due 3 Mar.
- 10 Mar: 150.00 of the credit applied to B.
- 20 Mar: that application reversed (misapplied).
- 1 Apr: 50.00 of the credit refunded.

As of 15 Feb: A open 0; B 500.00, 14 days before due -> Current; credit on account
200.00 -> Unapplied credits -200.00; net AR 500.00 - 200.00 = 300.00.
As of 15 Mar: B open 500.00 - 150.00 = 350.00, 12 days past due -> 1-30; unapplied
-200.00 + 150.00 = -50.00; net 300.00 (applying credit moves AR between columns only).
As of 25 Mar: the reversal is dated 20 Mar -> B back to 500.00, 22 days -> 1-30; unapplied
-200.00; net 300.00.
As of 5 Apr: the refund of 50.00 paid credit back -> unapplied -150.00; B 500.00, 33 days
-> 31-60; net 350.00 (the customer owes more once its credit was refunded).
And the report as of 15 Mar is the same when run after all of it.
"""

from datetime import date
from decimal import Decimal

import pytest

from billing.services import (
    apply_credit_note,
    issue_credit_note,
    refund_credit_note,
    reverse_credit_application,
)
from collections_app.reports.aging import (
    AgingParams,
    ar_aging,
)
from collections_app.reports.aging_documents import (
    aging_documents,
)
from tests.collections.test_aging_book import apply, issued_invoice, payment
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
D = Decimal
Z = D("0")


def book():
    account = AccountFactory(legal_name="Credit Co")
    a = issued_invoice(account, "1000.00", date(2026, 1, 10))
    apply(payment(account, "1000.00", date(2026, 1, 10)), a, "1000.00", date(2026, 1, 10))
    note = issue_credit_note(
        invoice=a, actor=None, reason="Outage", amount=D("200.00"), credit_date=date(2026, 2, 1)
    )
    b = issued_invoice(account, "500.00", date(2026, 2, 1))
    return account, a, b, note


def row(as_of):
    report = ar_aging(AgingParams(as_of=as_of))
    ((r,),) = [t.rows for t in report.currencies]
    return r.buckets, r.unapplied_credits, r.net_total


def test_credit_on_account_is_an_unapplied_credit_until_applied():
    book()
    assert row(date(2026, 2, 15)) == ([D("500.00"), Z, Z, Z, Z, Z], D("-200.00"), D("300.00"))


def test_applying_reversing_and_refunding_credit_as_of_each_date():
    account, _, b, note = book()
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(b, D("150.00"))], actor=None, applied_date=date(2026, 3, 10)
    )
    reverse_credit_application(
        application=application, actor=None, reason="Misapplied", reversal_date=date(2026, 3, 20)
    )
    refund_credit_note(
        credit_note=note,
        amount=D("50.00"),
        actor=None,
        reference="RF-1",
        reason="Customer asked",
        refund_date=date(2026, 4, 1),
    )
    assert row(date(2026, 2, 15)) == ([D("500.00"), Z, Z, Z, Z, Z], D("-200.00"), D("300.00"))
    assert row(date(2026, 3, 15)) == ([Z, D("350.00"), Z, Z, Z, Z], D("-50.00"), D("300.00"))
    assert row(date(2026, 3, 25)) == ([Z, D("500.00"), Z, Z, Z, Z], D("-200.00"), D("300.00"))
    assert row(date(2026, 4, 5)) == ([Z, Z, D("500.00"), Z, Z, Z], D("-150.00"), D("350.00"))


def test_the_drill_down_lists_the_credit_note_and_adds_up_to_the_row():
    account, a, b, note = book()
    apply_credit_note(
        credit_note=note, allocations=[(b, D("150.00"))], actor=None, applied_date=date(2026, 3, 10)
    )
    params = AgingParams(as_of=date(2026, 3, 15))
    documents = aging_documents(params, account_id=account.pk)
    by_kind = {(d.kind, d.reference): d for d in documents}
    assert set(by_kind) == {("invoice", b.number), ("credit_note", note.number)}
    invoice_b = by_kind[("invoice", b.number)]
    assert (invoice_b.credited, invoice_b.open_amount) == (D("150.00"), D("350.00"))
    on_account = by_kind[("credit_note", note.number)]
    assert (on_account.amount, on_account.settled, on_account.open_amount) == (
        D("200.00"),
        D("150.00"),
        D("-50.00"),
    )
    _, unapplied, net = row(params.as_of)
    assert sum(d.open_amount for d in documents) == net
    assert on_account.open_amount == unapplied
