"""Credit on account: a credit note on an invoice that was already paid leaves its credit
with the customer, to apply to other invoices or refund, like unapplied cash."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import CreditApplication, CreditNote, CreditRefund, Invoice
from billing.services import (
    apply_credit_note,
    apply_credit_oldest_first,
    issue_credit_note,
    refund_credit_note,
    reverse_application,
    reverse_credit_application,
    void_invoice,
)
from core.errors import DomainValidationError
from tests.collections.test_aging_book import apply, issued_invoice, payment
from tests.factories import AccountFactory
from tests.processes import run_in_processes

pytestmark = pytest.mark.django_db
D = Decimal
JAN_10, FEB_1, FEB_10 = date(2026, 1, 10), date(2026, 2, 1), date(2026, 2, 10)


def paid_invoice(account, total="1000.00", paid=None, on=JAN_10):
    invoice = issued_invoice(account, total, on)
    cash = payment(account, paid or total, on)
    apply(cash, invoice, paid or total, on)
    invoice.refresh_from_db()
    return invoice


def credit(invoice, amount, on=FEB_1):
    return issue_credit_note(
        invoice=invoice, actor=None, reason="Service credit", amount=D(amount), credit_date=on
    )


def settled(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


def test_a_credit_on_a_paid_invoice_goes_on_account_and_leaves_the_invoice_paid():
    account = AccountFactory()
    invoice = paid_invoice(account)
    note = credit(invoice, "200.00")
    (invoice,) = settled(invoice)
    assert (note.on_account_amount, note.unapplied_amount) == (D("200.00"), D("200.00"))
    assert (invoice.credited_amount, invoice.open_amount) == (D("0"), D("0"))
    assert invoice.settlement_status == "paid"


def test_a_credit_on_a_partly_paid_invoice_clears_it_first_and_puts_the_rest_on_account():
    account = AccountFactory()
    invoice = paid_invoice(account, "1000.00", paid="900.00")
    note = credit(invoice, "300.00")
    (invoice,) = settled(invoice)
    # 100.00 was still owed: that much reduces the invoice, 200.00 goes on account.
    assert note.applied_to_invoice_amount == D("100.00")
    assert note.on_account_amount == D("200.00")
    assert (invoice.open_amount, invoice.settlement_status) == (D("0"), "paid")


def test_no_more_than_the_invoice_total_can_be_credited_even_on_account():
    account = AccountFactory()
    invoice = paid_invoice(account)
    credit(invoice, "600.00")
    with pytest.raises(DomainValidationError) as err:
        credit(invoice, "400.01")
    assert (err.value.field, err.value.code) == ("amount", "exceeds_invoice")
    assert CreditNote.objects.count() == 1


def test_credit_on_account_applied_to_another_invoice_reduces_its_open_balance():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    other = issued_invoice(account, "500.00", FEB_1)
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(other, D("150.00"))], actor=None, applied_date=FEB_10
    )
    note, other = settled(note, other)
    assert application.amount == D("150.00") and application.applied_date == FEB_10
    assert (other.credited_amount, other.open_amount) == (D("150.00"), D("350.00"))
    assert other.settlement_status == "partially_paid"
    assert (note.applied_amount, note.unapplied_amount) == (D("150.00"), D("50.00"))


@pytest.mark.parametrize(
    "case, field, code",
    [
        ("more_than_open", "allocations[0].amount", "exceeds_open_balance"),
        ("more_than_credit", "allocations[0].amount", "exceeds_unapplied"),
        ("other_account", "allocations[0].invoice", "other_account"),
        ("other_currency", "allocations[0].invoice", "currency_mismatch"),
        ("before_note", "allocations[0].applied_date", "before_documents"),
        ("not_rounded", "allocations[0].amount", "not_rounded"),
    ],
)
def test_bad_credit_applications_name_the_field_and_change_nothing(case, field, code):
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    target = issued_invoice(account, "100.00", JAN_10)
    amount, day = D("50.00"), FEB_10
    if case == "more_than_open":
        amount = D("100.01")
    elif case == "more_than_credit":
        target = issued_invoice(account, "900.00", JAN_10)
        amount = D("200.01")
    elif case == "other_account":
        target = issued_invoice(AccountFactory(), "100.00", JAN_10)
    elif case == "other_currency":
        target = issued_invoice(account, "100.00", JAN_10, currency="EUR")
    elif case == "before_note":
        day = date(2026, 1, 31)
    elif case == "not_rounded":
        amount = D("10.005")
    with pytest.raises(DomainValidationError) as err:
        apply_credit_note(
            credit_note=note, allocations=[(target, amount)], actor=None, applied_date=day
        )
    assert (err.value.field, err.value.code) == (field, code)
    note, target = settled(note, target)
    assert CreditApplication.objects.count() == 0
    assert note.applied_amount == 0 and target.credited_amount == 0


def test_several_invoices_are_credited_all_or_nothing():
    account = AccountFactory()
    note = credit(paid_invoice(account), "300.00")
    first = issued_invoice(account, "100.00", FEB_1)
    second = issued_invoice(account, "100.00", FEB_1)
    with pytest.raises(DomainValidationError) as err:
        apply_credit_note(
            credit_note=note,
            allocations=[(first, D("100.00")), (second, D("150.00"))],
            actor=None,
            applied_date=FEB_10,
        )
    assert err.value.field == "allocations[1].amount"
    first, note = settled(first, note)
    assert first.open_amount == D("100.00") and note.unapplied_amount == D("300.00")


def test_oldest_first_credits_the_earliest_due_invoices():
    account = AccountFactory()
    note = credit(paid_invoice(account), "250.00")
    # Issued in date order (numbers follow dates); the one issued second falls due first.
    newer = issued_invoice(account, "200.00", JAN_10, net_days=60)
    older = issued_invoice(account, "200.00", JAN_10, net_days=10)
    applications = apply_credit_oldest_first(credit_note=note, actor=None, applied_date=FEB_10)
    assert [(a.invoice_id, a.amount) for a in applications] == [
        (older.pk, D("200.00")),
        (newer.pk, D("50.00")),
    ]
    (note,) = settled(note)
    assert note.unapplied_amount == 0
    with pytest.raises(DomainValidationError) as err:
        apply_credit_oldest_first(credit_note=note, actor=None, applied_date=FEB_10)
    assert err.value.code == "nothing_to_apply"


def test_a_misapplied_credit_is_reversed_by_a_dated_counter_entry():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    other = issued_invoice(account, "500.00", FEB_1)
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(other, D("200.00"))], actor=None, applied_date=FEB_10
    )
    with pytest.raises(DomainValidationError) as err:
        reverse_credit_application(application=application, actor=None, reason=" ")
    assert err.value.field == "reason"
    reversal = reverse_credit_application(
        application=application, actor=None, reason="Wrong invoice", reversal_date=FEB_10
    )
    note, other = settled(note, other)
    assert reversal.amount == D("-200.00") and reversal.reverses_id == application.pk
    assert other.open_amount == D("500.00") and other.settlement_status == "unpaid"
    assert note.unapplied_amount == D("200.00")
    assert CreditApplication.objects.count() == 2  # nothing deleted
    with pytest.raises(DomainValidationError) as err:
        reverse_credit_application(application=application, actor=None, reason="Again")
    assert err.value.code == "already_reversed"


def test_credit_on_account_can_be_refunded_but_not_more_than_is_left():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    with pytest.raises(DomainValidationError) as err:
        refund_credit_note(
            credit_note=note, amount=D("200.01"), actor=None, reference="RF", reason="Closing"
        )
    assert (err.value.field, err.value.code) == ("amount", "exceeds_unapplied")
    with pytest.raises(DomainValidationError) as err:
        refund_credit_note(
            credit_note=note, amount=D("10.00"), actor=None, reference="RF", reason=""
        )
    assert err.value.field == "reason"
    assert CreditRefund.objects.count() == 0
    refund_credit_note(
        credit_note=note, amount=D("200.00"), actor=None, reference="RF-9", reason="Closing"
    )
    (note,) = settled(note)
    assert (note.refunded_amount, note.unapplied_amount) == (D("200.00"), D("0"))
    target = issued_invoice(account, "50.00", FEB_1)
    with pytest.raises(DomainValidationError) as err:
        apply_credit_note(credit_note=note, allocations=[(target, D("1.00"))], actor=None)
    assert err.value.code == "exceeds_unapplied"


def test_voiding_is_refused_while_credit_from_elsewhere_sits_on_the_invoice():
    account = AccountFactory()
    note = credit(paid_invoice(account), "200.00")
    other = issued_invoice(account, "500.00", FEB_1)
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(other, D("200.00"))], actor=None, applied_date=FEB_10
    )
    with pytest.raises(DomainValidationError) as err:
        void_invoice(invoice=other, actor=None, reason="Wrong customer")
    assert err.value.code == "has_credit_applied"
    reverse_credit_application(application=application, actor=None, reason="Give it back")
    void_invoice(invoice=other, actor=None, reason="Wrong customer")
    (other,) = settled(other)
    assert other.status == "void"


def test_voiding_is_refused_when_an_own_credit_note_went_on_account():
    account = AccountFactory()
    invoice = paid_invoice(account)
    credit(invoice, "200.00")
    application = invoice.applications.get()
    reverse_application(application=application, actor=None, reason="Bounced")
    with pytest.raises(DomainValidationError) as err:
        void_invoice(invoice=invoice, actor=None, reason="Cancel")
    assert err.value.code == "credit_on_account"
    (invoice,) = settled(invoice)
    assert invoice.status == "issued"


def test_the_database_refuses_to_change_what_a_note_put_on_account():
    if connection.vendor != "postgresql":
        pytest.skip("the guard is a PostgreSQL trigger")
    note = credit(paid_invoice(AccountFactory()), "200.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).update(on_account_amount=D("0"))
    # What was done with the credit may move (that is what the services update).
    CreditNote.objects.filter(pk=note.pk).update(applied_amount=D("10.00"))


def apply_in_turn(note_id: int, invoice_ids: list[int]) -> int:
    """One worker: applies 100.00 of the credit note to each invoice; how many it applied."""
    note = CreditNote.objects.get(pk=note_id)
    applied = 0
    for pk in invoice_ids:
        try:
            apply_credit_note(
                credit_note=note,
                allocations=[(Invoice.objects.get(pk=pk), D("100.00"))],
                actor=None,
                applied_date=date(2026, 2, 10),
            )
            applied += 1
        except DomainValidationError:
            pass
    return applied


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_over_apply_the_same_credit_note():
    account = AccountFactory()
    note = credit(paid_invoice(account, "1000.00"), "500.00")  # enough for 5 of 12
    invoices = [issued_invoice(account, "100.00", FEB_1) for _ in range(12)]
    batches = [(note.pk, [i.pk for i in invoices[n::4]]) for n in range(4)]
    applied = sum(run_in_processes(apply_in_turn, batches))
    (note,) = settled(note)
    assert applied == 5
    assert note.applied_amount == D("500.00") and note.unapplied_amount == 0
    assert sum(a.amount for a in CreditApplication.objects.all()) == D("500.00")
    assert sum(
        i.credited_amount for i in Invoice.objects.filter(pk__in=[i.pk for i in invoices])
    ) == D("500.00")
