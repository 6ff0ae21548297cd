"""Credit on account: apply a credit note's leftover credit to other invoices of the same
customer and currency, reverse a misapplication, or refund what is left.

The credit a note leaves on account is fixed when it is issued (credit_notes.py); these
services only move it, with the same rules and lock order as cash (payments.py): the
credit note first, then the invoices by id, so parallel applications queue up instead of
over-applying it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import CreditApplication, CreditNote, CreditRefund, Invoice
from billing.services.invoicing import refresh_settlement
from billing.services.payments import (
    actor_or_none,
    apply_each,
    check_application,
    check_refund,
    check_reversal,
    counter_entry,
    oldest_issued_invoices,
    record_refund,
    required_reason,
)
from billing.writeoffs import gate
from core.audit import audit_next_save
from core.bounds import check_past_date
from core.errors import DomainValidationError


def _lock(note: CreditNote, invoices: list[Invoice]) -> tuple[CreditNote, list[Invoice]]:
    note = (
        CreditNote.objects.select_for_update(of=("self",)).select_related("invoice").get(pk=note.pk)
    )
    locked = Invoice.objects.select_for_update().in_bulk(sorted(i.pk for i in invoices))
    return note, [locked[i.pk] for i in invoices]


def _save_note(note: CreditNote, actor, reason: str) -> None:
    audit_next_save(note, actor=actor, reason=reason)
    note.save(update_fields=["applied_amount", "refunded_amount"])


def _apply(note: CreditNote, invoice: Invoice, amount: Decimal, actor, applied_date: date):
    check_application(
        what="credit note",
        account_id=note.invoice.account_id,
        currency=note.currency,
        available=note.unapplied_amount,
        available_from=note.credit_date,
        invoice=invoice,
        amount=amount,
        applied_date=applied_date,
    )
    application = CreditApplication.objects.create(
        credit_note=note,
        invoice=invoice,
        amount=amount,
        applied_date=applied_date,
        created_by=actor_or_none(actor),
    )
    note.applied_amount += amount
    invoice.credited_amount += amount
    refresh_settlement(invoice)
    audit_next_save(
        invoice, actor=actor, reason=f"invoice.credit_applied:{note.number}:{application.pk}"
    )
    invoice.save()
    return application


@transaction.atomic(durable=True)
def apply_credit_note(
    *,
    credit_note: CreditNote,
    allocations: list[tuple[Invoice, Decimal]],
    actor,
    applied_date: date | None = None,
) -> list[CreditApplication]:
    """Apply credit on account to one or several invoices: all applied, or none."""
    if not allocations:
        raise DomainValidationError(
            field="allocations", code=BillingError.REQUIRED, message="Choose at least one invoice."
        )
    note, invoices = _lock(credit_note, [invoice for invoice, _ in allocations])
    day = applied_date or timezone.localdate()
    applications = apply_each(
        invoices, allocations, lambda invoice, amount: _apply(note, invoice, amount, actor, day)
    )
    _save_note(note, actor, "credit_note.applied")
    return applications


@transaction.atomic(durable=True)
def apply_credit_oldest_first(
    *, credit_note: CreditNote, actor, applied_date: date | None = None
) -> list[CreditApplication]:
    """Auto-apply: the customer's oldest open invoices (by due date) in the note's currency."""
    day = applied_date or timezone.localdate()
    note, _ = _lock(credit_note, [])
    candidates = oldest_issued_invoices(note.invoice.account_id, note.currency, day)
    applications = []
    if day >= note.credit_date:
        for invoice in candidates:
            amount = min(note.unapplied_amount, invoice.open_amount)
            if note.unapplied_amount <= 0:
                break
            if amount > 0:
                applications.append(_apply(note, invoice, amount, actor, day))
    if not applications:
        raise DomainValidationError(
            field="credit_note",
            code=BillingError.NOTHING_TO_APPLY,
            message=f"{note.number} has no credit left, or the customer has no open "
            f"{note.currency} invoice dated on or before {day}.",
        )
    _save_note(note, actor, "credit_note.auto_applied")
    return applications


@transaction.atomic(durable=True)
def reverse_credit_application(
    *, application: CreditApplication, actor, reason: str, reversal_date: date | None = None
) -> CreditApplication:
    """Undo a misapplied credit with a dated, audited counter-entry: the credit returns to
    the note and the invoice's open balance comes back."""
    reason = required_reason(reason)
    original = CreditApplication.objects.select_related("credit_note", "invoice").get(
        pk=application.pk
    )
    note, (invoice,) = _lock(original.credit_note, [original.invoice])
    original = CreditApplication.objects.select_for_update().get(pk=original.pk)
    day = check_reversal(original, reversal_date)
    reversal = counter_entry(
        original,
        source_field="credit_note",
        source=note,
        invoice=invoice,
        settled_field="credited_amount",
        reason=reason,
        actor=actor,
        day=day,
    )
    audit_next_save(
        invoice, actor=actor, reason=f"invoice.credit_reversed:{note.number}:{reversal.pk}"
    )
    invoice.save()
    _save_note(note, actor, f"credit_note.application_reversed:{reversal.pk}")
    return reversal


@transaction.atomic(durable=True)
def refund_credit_note(
    *,
    credit_note: CreditNote,
    amount: Decimal,
    actor,
    reference: str,
    reason: str,
    refund_date: date | None = None,
    approval=None,
) -> CreditRefund:
    """Pay back credit left on account; applied credit must be reversed first. Above the
    refund threshold a person's refund needs `approval` (billing.writeoffs.gate)."""
    note, _ = _lock(credit_note, [])
    check_refund(
        amount=amount,
        currency=note.currency,
        available=note.unapplied_amount,
        what=f"{note.number}'s credit on account",
        reference=reference,
        reason=reason,
    )
    day = refund_date or timezone.localdate()
    check_past_date(day, field="refund_date", what="refund date")
    if day < note.credit_date:
        raise DomainValidationError(
            field="refund_date",
            code=BillingError.BEFORE_CREDIT_NOTE,
            message="A refund cannot be dated before the credit note.",
        )
    approval = gate.check_approval(
        kind="credit_refund", source_id=note.pk, amount=amount, currency=note.currency,
        actor=actor, approval=approval,
    )  # fmt: skip
    refund = record_refund(
        CreditRefund,
        source_field="credit_note",
        source=note,
        amount=amount,
        day=day,
        reference=reference,
        reason=reason,
        actor=actor,
    )
    _save_note(note, actor, f"credit_note.refunded:{refund.pk}")
    gate.complete(approval, actor=actor, result=refund)
    return refund
