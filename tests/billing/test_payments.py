from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, Payment, PaymentApplication
from billing.services import (
    apply_oldest_first,
    apply_payment,
    apply_payment_to_invoices,
    refund_payment,
    reverse_application,
)
from core.errors import DomainValidationError
from tests.billing.helpers import issued_invoices, pay
from tests.factories import billable_account
from tests.processes import run_in_processes

pytestmark = pytest.mark.django_db


def test_a_partial_then_full_application_moves_the_invoice_to_paid(finance):
    account = billable_account()
    (invoice,) = issued_invoices(account)  # 12,000.00
    payment = pay(account, "15000.00")
    apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("5000.00"),
        actor=finance,
        applied_date=date(2026, 1, 20),
    )
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.settlement_status) == (
        Decimal("7000.00"),
        "partially_paid",
    )
    apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("7000.00"),
        actor=finance,
        applied_date=date(2026, 1, 21),
    )
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (invoice.open_amount, invoice.settlement_status) == (Decimal("0"), "paid")
    assert payment.unapplied_amount == Decimal("3000.00")  # stays on account


@pytest.mark.parametrize(
    ("amount", "currency", "field", "code"),
    [
        ("12000.01", "USD", "amount", "exceeds_open_balance"),
        ("100.00", "EUR", "invoice", "currency_mismatch"),
    ],
)
def test_bad_applications_are_refused_and_change_nothing(amount, currency, field, code):
    account = billable_account()
    (invoice,) = issued_invoices(account)
    payment = pay(account, "20000.00", currency=currency)
    with pytest.raises(DomainValidationError) as err:
        apply_payment(
            payment=payment,
            invoice=invoice,
            amount=Decimal(amount),
            actor=None,
            applied_date=date(2026, 1, 20),
        )
    assert (err.value.field, err.value.code) == (field, code)
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0 and PaymentApplication.objects.count() == 0


def test_applying_more_than_the_payment_has_left_is_refused():
    account = billable_account()
    (invoice,) = issued_invoices(account)
    payment = pay(account, "100.00")
    with pytest.raises(DomainValidationError) as err:
        apply_payment(
            payment=payment,
            invoice=invoice,
            amount=Decimal("100.01"),
            actor=None,
            applied_date=date(2026, 1, 20),
        )
    assert err.value.code == "exceeds_unapplied"


def test_one_payment_over_several_invoices_applies_all_or_nothing():
    account = billable_account()
    first, second = issued_invoices(account, n=2)
    payment = pay(account, "20000.00")
    with pytest.raises(DomainValidationError) as err:
        apply_payment_to_invoices(
            payment=payment,
            actor=None,
            applied_date=date(2026, 1, 20),
            allocations=[(first, Decimal("12000.00")), (second, Decimal("9000.00"))],
        )
    assert (err.value.field, err.value.code) == ("allocations[1].amount", "exceeds_unapplied")
    assert PaymentApplication.objects.count() == 0
    apply_payment_to_invoices(
        payment=payment,
        actor=None,
        applied_date=date(2026, 1, 20),
        allocations=[(first, Decimal("12000.00")), (second, Decimal("8000.00"))],
    )
    second.refresh_from_db()
    assert second.open_amount == Decimal("4000.00")


def test_oldest_first_pays_the_earliest_due_invoices_first():
    account = billable_account()
    net30, net60 = issued_invoices(account, n=1, payment_terms="NET30") + issued_invoices(
        account, n=1, payment_terms="NET60"
    )
    payment = pay(account, "18000.00")
    applications = apply_oldest_first(payment=payment, actor=None, applied_date=date(2026, 1, 20))
    assert [(a.invoice_id, a.amount) for a in applications] == [
        (net30.pk, Decimal("12000.00")),
        (net60.pk, Decimal("6000.00")),
    ]


def test_a_misapplication_is_reversed_by_a_dated_counter_entry():
    account = billable_account()
    (invoice,) = issued_invoices(account)
    payment = pay(account, "12000.00")
    application = apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("12000.00"),
        actor=None,
        applied_date=date(2026, 1, 20),
    )
    reversal = reverse_application(
        application=application, actor=None, reason="Wrong customer", reversal_date=date(2026, 2, 3)
    )
    assert reversal.amount == Decimal("-12000.00") and reversal.reverses == application
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert invoice.open_amount == Decimal("12000.00") and invoice.settlement_status == "unpaid"
    assert payment.unapplied_amount == Decimal("12000.00")
    assert PaymentApplication.objects.count() == 2  # never deleted
    with pytest.raises(DomainValidationError) as err:
        reverse_application(application=application, actor=None, reason="again")
    assert err.value.code == "already_reversed"


def test_unapplied_cash_can_be_refunded_but_not_more():
    account = billable_account()
    payment = pay(account, "500.00")
    refund_payment(
        payment=payment, amount=Decimal("200.00"), actor=None, reference="R-1", reason="Overpaid"
    )
    payment.refresh_from_db()
    assert payment.unapplied_amount == Decimal("300.00")
    with pytest.raises(DomainValidationError) as err:
        refund_payment(
            payment=payment, amount=Decimal("300.01"), actor=None, reference="R-2", reason="x"
        )
    assert err.value.code == "exceeds_unapplied"


def test_a_processor_payment_recorded_twice_is_one_payment():
    account = billable_account()
    first = pay(account, "10.00", method="stripe", external_id="pi_123")
    second = pay(account, "10.00", method="stripe", external_id="pi_123")
    assert first.pk == second.pk and Payment.objects.count() == 1
    with pytest.raises(DomainValidationError) as err:
        pay(account, "11.00", method="stripe", external_id="pi_123")
    assert err.value.code == "external_id_reused"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"currency": "ZZZ"}, "currency"),
        ({"method": "barter"}, "method"),
        ({"received_date": date(2099, 1, 1)}, "received_date"),
        ({"reference": " "}, "reference"),
    ],
)
def test_bad_payments_name_the_field(kwargs, field):
    account = billable_account()
    values = {"amount": "10.00", "currency": "USD"}
    values.update(kwargs)
    with pytest.raises(DomainValidationError) as err:
        pay(account, values.pop("amount"), **values)
    assert err.value.field == field
    assert Payment.objects.count() == 0


def apply_in_turn(payment_id: int, invoice_ids: list[int]) -> int:
    """One worker: applies 1,000.00 of the payment to each invoice; how many it applied."""
    payment = Payment.objects.get(pk=payment_id)
    applied = 0
    for pk in invoice_ids:
        try:
            apply_payment(
                payment=payment,
                invoice=Invoice.objects.get(pk=pk),
                amount=Decimal("1000.00"),
                actor=None,
                applied_date=date(2026, 1, 20),
            )
            applied += 1
        except DomainValidationError:
            pass
    return applied


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_never_over_apply_the_same_payment():
    account = billable_account()
    invoices = issued_invoices(account, n=12)
    payment = pay(account, "5000.00")  # enough for 5 of the 12 applications of 1,000
    batches = [(payment.pk, [i.pk for i in invoices[n::4]]) for n in range(4)]
    applied = sum(run_in_processes(apply_in_turn, batches))
    payment.refresh_from_db()
    assert applied == 5
    assert payment.applied_amount == Decimal("5000.00") and payment.unapplied_amount == 0
    assert sum(a.amount for a in PaymentApplication.objects.all()) == Decimal("5000.00")
