"""Cash: record payments, apply them to invoices, reverse misapplications, refund.

Locks are taken in one order (payment, then invoices by id) so that parallel applications
of the same payment queue up instead of over-applying it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import (
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    PaymentMethod,
    Refund,
)
from billing.services.invoicing import refresh_settlement
from billing.writeoffs import gate
from core.audit import actor_or_none, audit_next_save
from core.bounds import check_past_date, check_text_lengths
from core.errors import DomainValidationError
from core.money import format_money, is_rounded, validate_currency
from ordermgmt.models import Account


def check_amount(amount: Decimal, currency: str, field: str = "amount") -> None:
    if amount is None or amount <= 0:
        raise DomainValidationError(
            field=field, code=BillingError.NOT_POSITIVE, message=f"The {field} must be above zero."
        )
    if not is_rounded(amount, currency):
        raise DomainValidationError(
            field=field,
            code=BillingError.NOT_ROUNDED,
            message=f"{amount} has more decimals than {currency} allows.",
        )


@transaction.atomic(durable=True)
def record_payment(
    *,
    account: Account,
    amount: Decimal,
    currency: str,
    received_date: date,
    method: str,
    reference: str,
    actor,
    external_id: str | None = None,
) -> Payment:
    """Idempotent by external_id: a processor payment recorded twice is recorded once."""
    validate_currency(currency)
    check_amount(amount, currency)
    if method not in PaymentMethod.values:
        raise DomainValidationError(
            field="method",
            code=BillingError.UNKNOWN_METHOD,
            message=f"{method!r} is not one of {', '.join(PaymentMethod.values)}.",
        )
    check_past_date(received_date, field="received_date", what="received date")
    if not (reference or "").strip():
        raise DomainValidationError(
            field="reference",
            code=BillingError.REQUIRED,
            message="Give the bank or check reference.",
        )
    check_text_lengths(Payment, reference=reference.strip(), external_id=external_id)
    if external_id:
        existing = Payment.objects.filter(external_id=external_id).first()
        if existing:
            _same_or_refuse(existing, account, amount, currency)
            return existing
    payment = Payment(
        account=account,
        amount=amount,
        currency=currency,
        received_date=received_date,
        method=method,
        reference=reference.strip(),
        external_id=external_id or None,
        created_by=actor_or_none(actor),
    )
    audit_next_save(payment, actor=actor, reason="payment.recorded")
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        # A parallel request recorded the same processor payment first.
        existing = Payment.objects.get(external_id=external_id)
        _same_or_refuse(existing, account, amount, currency)
        return existing
    return payment


def _same_or_refuse(existing: Payment, account, amount, currency) -> None:
    if (existing.account_id, existing.amount, existing.currency) != (account.pk, amount, currency):
        raise DomainValidationError(
            field="external_id",
            code=BillingError.EXTERNAL_ID_REUSED,
            message="That processor id was recorded for a different payment.",
        )


def check_application(
    *,
    what: str,
    account_id: int,
    currency: str,
    available: Decimal,
    available_from: date,
    invoice: Invoice,
    amount: Decimal,
    applied_date: date,
) -> None:
    """The rules shared by cash and credit on account when they settle an invoice."""
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.NOT_ISSUED,
            message=f"{what.capitalize()}s apply to issued invoices; this one is {invoice.status}.",
        )
    if invoice.account_id != account_id:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.OTHER_ACCOUNT,
            message=f"The invoice belongs to another customer than the {what}.",
        )
    if invoice.currency != currency:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.CURRENCY_MISMATCH,
            message=f"A {currency} {what} cannot settle a {invoice.currency} invoice.",
        )
    check_amount(amount, currency)
    if amount > invoice.open_amount:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_OPEN_BALANCE,
            message=f"{format_money(amount, currency)} is more than the open balance "
            f"{format_money(invoice.open_amount, currency)} of {invoice.number}.",
        )
    if amount > available:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_UNAPPLIED,
            message=f"{format_money(amount, currency)} is more than the "
            f"{format_money(available, currency)} left on the {what}.",
        )
    if applied_date < available_from or applied_date < invoice.invoice_date:
        raise DomainValidationError(
            field="applied_date",
            code=BillingError.BEFORE_DOCUMENTS,
            message=f"A {what} cannot be applied before its own date or the invoice's.",
        )


def _apply(payment: Payment, invoice: Invoice, amount: Decimal, actor, applied_date: date):
    check_application(
        what="payment",
        account_id=payment.account_id,
        currency=payment.currency,
        available=payment.unapplied_amount,
        available_from=payment.received_date,
        invoice=invoice,
        amount=amount,
        applied_date=applied_date,
    )
    application = PaymentApplication.objects.create(
        payment=payment,
        invoice=invoice,
        amount=amount,
        applied_date=applied_date,
        created_by=actor_or_none(actor),
    )
    payment.applied_amount += amount
    invoice.paid_amount += amount
    refresh_settlement(invoice)
    audit_next_save(invoice, actor=actor, reason=f"invoice.payment_applied:{application.pk}")
    invoice.save()
    return application


def apply_each(invoices: list[Invoice], allocations, apply_one) -> list:
    """Applies each allocation's amount to its (locked) invoice; an error names the
    allocation it came from (`allocations[1].amount`), and the caller's transaction
    rolls back every application made before it. Cash and credit on account alike."""
    applications = []
    for index, (invoice, (_, amount)) in enumerate(zip(invoices, allocations, strict=True)):
        try:
            applications.append(apply_one(invoice, amount))
        except DomainValidationError as err:
            raise DomainValidationError(
                field=f"allocations[{index}].{err.field}", code=err.code, message=err.message
            ) from err
    return applications


def _lock(payment: Payment, invoices: list[Invoice]) -> tuple[Payment, list[Invoice]]:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    locked = Invoice.objects.select_for_update().in_bulk([i.pk for i in invoices])
    return payment, [locked[i.pk] for i in invoices]


def _save_payment(payment: Payment, actor, reason: str) -> None:
    audit_next_save(payment, actor=actor, reason=reason)
    payment.save()


@transaction.atomic(durable=True)
def apply_payment(
    *,
    payment: Payment,
    invoice: Invoice,
    amount: Decimal,
    actor,
    applied_date: date | None = None,
) -> PaymentApplication:
    payment, (invoice,) = _lock(payment, [invoice])
    application = _apply(payment, invoice, amount, actor, applied_date or timezone.localdate())
    _save_payment(payment, actor, f"payment.applied:{application.pk}")
    return application


@transaction.atomic(durable=True)
def apply_payment_to_invoices(
    *,
    payment: Payment,
    allocations: list[tuple[Invoice, Decimal]],
    actor,
    applied_date: date | None = None,
) -> list[PaymentApplication]:
    """Several invoices at once: all applied, or none."""
    payment, invoices = _lock(payment, [invoice for invoice, _ in allocations])
    day = applied_date or timezone.localdate()
    applications = apply_each(
        invoices, allocations, lambda invoice, amount: _apply(payment, invoice, amount, actor, day)
    )
    _save_payment(payment, actor, "payment.applied")
    return applications


@transaction.atomic(durable=True)
def apply_oldest_first(
    *, payment: Payment, actor, applied_date: date | None = None
) -> list[PaymentApplication]:
    """Auto-apply: the oldest open invoices (by due date) of the payer in its currency."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    day = applied_date or timezone.localdate()
    candidates = oldest_issued_invoices(payment.account_id, payment.currency, day)
    applications = []
    for invoice in candidates:
        left = payment.unapplied_amount
        if left <= 0:
            break
        amount = min(left, invoice.open_amount)
        if amount > 0 and day >= payment.received_date:
            applications.append(_apply(payment, invoice, amount, actor, day))
    _save_payment(payment, actor, "payment.auto_applied")
    return applications


def oldest_issued_invoices(account_id: int, currency: str, day: date):
    """The customer's issued invoices in a currency dated by `day`, oldest due first,
    locked: what "apply oldest first" walks through."""
    return (
        Invoice.objects.select_for_update()
        .filter(account_id=account_id, currency=currency, status=InvoiceStatus.ISSUED)
        .filter(invoice_date__lte=day)
        .order_by("due_date", "invoice_date", "id")
    )


def required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=BillingError.REQUIRED, message="Give a reason."
        )
    check_text_lengths(PaymentApplication, reason=reason)
    return reason


def check_reversal(original, reversal_date: date | None) -> date:
    """The rules shared by cash and credit reversals; returns the reversal's date."""
    if original.reverses_id is not None or hasattr(original, "reversed_by"):
        raise DomainValidationError(
            field="application",
            code=BillingError.ALREADY_REVERSED,
            message="This application was already reversed (or is itself a reversal).",
        )
    day = reversal_date or timezone.localdate()
    if day < original.applied_date:
        raise DomainValidationError(
            field="reversal_date",
            code=BillingError.BEFORE_APPLICATION,
            message="A reversal cannot be dated before the application it reverses.",
        )
    return day


def check_refund(
    *, amount: Decimal, currency: str, available: Decimal, what: str, reference: str, reason: str
) -> None:
    """The rules shared by refunds of cash and of credit on account."""
    check_amount(amount, currency)
    if amount > available:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_UNAPPLIED,
            message=f"Only {format_money(available, currency)} of {what} is unapplied; "
            "reverse applications before refunding more.",
        )
    if not (reason or "").strip() or not (reference or "").strip():
        raise DomainValidationError(
            field="reason" if not (reason or "").strip() else "reference",
            code=BillingError.REQUIRED,
            message="A refund needs a reason and a reference.",
        )
    check_text_lengths(Refund, reference=reference.strip(), reason=reason.strip())


def counter_entry(
    original,
    *,
    source_field: str,
    source,
    invoice: Invoice,
    settled_field: str,
    reason: str,
    actor,
    day,
):
    """The reversal shared by cash and credit: a dated counter-entry of the (locked)
    original application; the amount returns to its payment or credit note (``source``)
    and comes off the invoice's ``settled_field`` (paid or credited). Saved by the caller."""
    reversal = type(original).objects.create(
        **{source_field: source},
        invoice=invoice,
        amount=-original.amount,
        applied_date=day,
        reverses=original,
        reason=reason,
        created_by=actor_or_none(actor),
    )
    source.applied_amount -= original.amount
    setattr(invoice, settled_field, getattr(invoice, settled_field) - original.amount)
    refresh_settlement(invoice)
    return reversal


def record_refund(
    model,
    *,
    source_field: str,
    source,
    amount: Decimal,
    day: date,
    reference: str,
    reason: str,
    actor,
):
    """The refund row shared by cash and credit on account; ``source`` saved by the caller."""
    refund = model.objects.create(
        **{source_field: source},
        amount=amount,
        refund_date=day,
        reference=reference.strip(),
        reason=reason.strip(),
        created_by=actor_or_none(actor),
    )
    source.refunded_amount += amount
    return refund


@transaction.atomic(durable=True)
def reverse_application(
    *, application: PaymentApplication, actor, reason: str, reversal_date: date | None = None
) -> PaymentApplication:
    """Undo a misapplication with a dated, audited counter-entry; the cash returns to the
    payment's unapplied amount and the invoice's open balance comes back."""
    reason = required_reason(reason)
    original = PaymentApplication.objects.select_related("payment", "invoice").get(
        pk=application.pk
    )
    payment, (invoice,) = _lock(original.payment, [original.invoice])
    original = PaymentApplication.objects.select_for_update().get(pk=original.pk)
    day = check_reversal(original, reversal_date)
    reversal = counter_entry(
        original,
        source_field="payment",
        source=payment,
        invoice=invoice,
        settled_field="paid_amount",
        reason=reason,
        actor=actor,
        day=day,
    )
    audit_next_save(invoice, actor=actor, reason=f"invoice.payment_reversed:{reversal.pk}")
    invoice.save()
    _save_payment(payment, actor, f"payment.application_reversed:{reversal.pk}")
    return reversal


@transaction.atomic(durable=True)
def refund_payment(
    *,
    payment: Payment,
    amount: Decimal,
    actor,
    reference: str,
    reason: str,
    refund_date: date | None = None,
    approval=None,
) -> Refund:
    """Give back unapplied cash (an overpayment); applied cash must be reversed first.
    Above the refund threshold a person's refund needs a second person's `approval`
    (billing.writeoffs.gate)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    check_refund(
        amount=amount,
        currency=payment.currency,
        available=payment.unapplied_amount,
        what="this payment",
        reference=reference,
        reason=reason,
    )
    day = refund_date or timezone.localdate()
    check_past_date(day, field="refund_date", what="refund date")
    approval = gate.check_approval(
        kind="refund", source_id=payment.pk, amount=amount, currency=payment.currency,
        actor=actor, approval=approval,
    )  # fmt: skip
    refund = record_refund(
        Refund,
        source_field="payment",
        source=payment,
        amount=amount,
        day=day,
        reference=reference,
        reason=reason,
        actor=actor,
    )
    _save_payment(payment, actor, f"payment.refunded:{refund.pk}")
    gate.complete(approval, actor=actor, result=refund)
    return refund
