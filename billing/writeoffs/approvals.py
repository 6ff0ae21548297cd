"""Refunds and credit notes above their threshold: ask, approve (a second person), reject.

Asking checks what the service will check (amounts, dates, reason and reference) so a
request that could never be carried out is refused now; nothing in AR changes until a
second person approves, which runs the refund or credit note service with the approval
(billing.writeoffs.gate links the result in the same transaction)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import CreditNote, Invoice, Payment
from billing.services.credit_notes import _require_reason, credited_by_notes, issue_credit_note
from billing.services.credits import refund_credit_note
from billing.services.payments import check_refund, refund_payment
from billing.writeoffs.gate import SETTINGS, limit_for
from billing.writeoffs.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from billing.writeoffs.rules import needs_second_person
from core.audit import audit_next_save
from core.bounds import check_past_date
from core.errors import DomainValidationError
from core.money import format_money, is_rounded


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def _above_threshold(kind: str, amount: Decimal, currency: str) -> None:
    if not needs_second_person(SETTINGS[kind], amount, currency):
        limit = limit_for(kind, currency)
        within = f"up to {format_money(limit, currency)}" if limit is not None else "of any amount"
        raise DomainValidationError(
            field="amount",
            code=BillingError.APPROVAL_NOT_NEEDED,
            message=f"{ApprovalKind(kind).label}s {within} need no approval: make it directly.",
        )


def _save(request: ApprovalRequest, actor) -> ApprovalRequest:
    audit_next_save(request, actor=actor, reason=f"approval.requested:{request.kind}")
    request.save()
    return request


@transaction.atomic(durable=True)
def request_refund(
    *,
    payment: Payment,
    amount: Decimal,
    reference: str,
    reason: str,
    actor,
    refund_date: date | None = None,
) -> ApprovalRequest:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    check_refund(
        amount=amount, currency=payment.currency, available=payment.unapplied_amount,
        what="this payment", reference=reference, reason=reason,
    )  # fmt: skip
    if refund_date is not None:
        check_past_date(refund_date, field="refund_date", what="refund date")
    _above_threshold(ApprovalKind.REFUND, amount, payment.currency)
    return _save(
        ApprovalRequest(
            kind=ApprovalKind.REFUND, payment=payment, currency=payment.currency,
            amount=amount, reason=reason.strip(), reference=reference.strip(),
            action_date=refund_date, status=ApprovalStatus.PENDING,
            requested_by=_actor(actor),
        ),
        actor,
    )  # fmt: skip


@transaction.atomic(durable=True)
def request_credit_refund(
    *,
    credit_note: CreditNote,
    amount: Decimal,
    reference: str,
    reason: str,
    actor,
    refund_date: date | None = None,
) -> ApprovalRequest:
    note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
    check_refund(
        amount=amount, currency=note.currency, available=note.unapplied_amount,
        what=f"{note.number}'s credit on account", reference=reference, reason=reason,
    )  # fmt: skip
    if refund_date is not None:
        check_past_date(refund_date, field="refund_date", what="refund date")
    _above_threshold(ApprovalKind.CREDIT_REFUND, amount, note.currency)
    return _save(
        ApprovalRequest(
            kind=ApprovalKind.CREDIT_REFUND, credit_on_account=note, currency=note.currency,
            amount=amount, reason=reason.strip(), reference=reference.strip(),
            action_date=refund_date, status=ApprovalStatus.PENDING,
            requested_by=_actor(actor),
        ),
        actor,
    )  # fmt: skip


@transaction.atomic(durable=True)
def request_credit_note(
    *, invoice: Invoice, amount: Decimal, reason: str, actor, credit_date: date | None = None
) -> ApprovalRequest:
    reason = _require_reason(reason)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if amount is None or amount <= 0 or not is_rounded(amount, invoice.currency):
        raise DomainValidationError(
            field="amount",
            code=BillingError.INVALID_AMOUNT,
            message=f"The amount must be above zero, in whole {invoice.currency} minor units.",
        )
    left = invoice.total_amount - credited_by_notes(invoice)
    if amount > left:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_INVOICE,
            message=f"{format_money(amount, invoice.currency)} exceeds the "
            f"{format_money(left, invoice.currency)} left to credit on {invoice.number}.",
        )
    _above_threshold(ApprovalKind.CREDIT_NOTE, amount, invoice.currency)
    return _save(
        ApprovalRequest(
            kind=ApprovalKind.CREDIT_NOTE, invoice=invoice, currency=invoice.currency,
            amount=amount, reason=reason[:500], action_date=credit_date,
            status=ApprovalStatus.PENDING, requested_by=_actor(actor),
        ),
        actor,
    )  # fmt: skip


def approve_request(*, request: ApprovalRequest, actor, note: str = "") -> ApprovalRequest:
    """Runs the refund or credit note service with the approval: the second-person check,
    the write and the request's new status are one transaction (the service's)."""
    request = ApprovalRequest.objects.get(pk=request.pk)
    if request.status != ApprovalStatus.PENDING:  # checked again under lock by the gate
        raise DomainValidationError(
            field="approval",
            code=BillingError.ALREADY_RESOLVED,
            message=f"This request is already {request.get_status_display().lower()}.",
        )
    request._note = note
    if request.kind == ApprovalKind.REFUND:
        refund_payment(
            payment=request.payment, amount=request.amount, actor=actor,
            reference=request.reference, reason=request.reason,
            refund_date=request.action_date, approval=request,
        )  # fmt: skip
    elif request.kind == ApprovalKind.CREDIT_REFUND:
        refund_credit_note(
            credit_note=request.credit_on_account, amount=request.amount, actor=actor,
            reference=request.reference, reason=request.reason,
            refund_date=request.action_date, approval=request,
        )  # fmt: skip
    else:
        issue_credit_note(
            invoice=request.invoice, amount=request.amount, actor=actor,
            reason=request.reason, credit_date=request.action_date, approval=request,
        )  # fmt: skip
    return ApprovalRequest.objects.get(pk=request.pk)


@transaction.atomic(durable=True)
def reject_request(*, request: ApprovalRequest, actor, reason: str) -> ApprovalRequest:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=BillingError.REQUIRED, message="Give a reason."
        )
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    request.transition_to(ApprovalStatus.REJECTED)
    request.decided_by, request.decided_at = _actor(actor), timezone.now()
    request.decision_note = reason[:300]
    audit_next_save(request, actor=actor, reason="approval.rejected")
    request.save()
    return request
