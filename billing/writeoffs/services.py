"""Write-offs: request (posted at once up to the approval threshold), approve or reject
(a second person, never the requester), and the small-balance batch.

Posting issues a credit-like document in the write-off number series (WO-), dated the
write-off date, through the credit note machinery: the invoice's open balance, AR, aging
and DSO change as of that date, and only once the write-off is posted."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import DocumentType, Invoice, InvoiceStatus, NumberSeries, SettlementStatus
from billing.services.credit_notes import _issue, _lines_by_amount
from billing.writeoffs.models import (
    SmallBalanceBatch,
    WriteOff,
    WriteOffReason,
    WriteOffStatus,
)
from billing.writeoffs.rules import check_second_person, threshold
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import format_money, is_rounded

WRITE_OFF_PREFIX = "WO-"


def approval_threshold(currency: str) -> Decimal:
    """Write-offs above this (in the invoice's currency) wait for a second person."""
    return threshold(settings.WRITE_OFF_APPROVAL_THRESHOLDS, currency) or Decimal(0)


def small_balance_limit(currency: str) -> Decimal:
    return threshold(settings.SMALL_BALANCE_WRITE_OFF_MAX, currency) or Decimal(0)


def _actor(actor):
    return actor if getattr(actor, "pk", None) else None


def check_write_off(*, invoice: Invoice, amount: Decimal, day: date) -> None:
    """Refuses, as request_write_off would, before its confirmation is shown."""
    _check(invoice, amount, day)


def _check(invoice: Invoice, amount: Decimal, day: date) -> None:
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.NOT_ISSUED,
            message="Only an issued invoice can be written off.",
        )
    if amount is None or amount <= 0 or not is_rounded(amount, invoice.currency):
        raise DomainValidationError(
            field="amount",
            code=BillingError.INVALID_AMOUNT,
            message=f"The amount must be above zero, in whole {invoice.currency} minor units.",
        )
    if amount > invoice.open_amount:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_OPEN_BALANCE,
            message=f"{format_money(amount, invoice.currency)} is more than the open balance "
            f"{format_money(invoice.open_amount, invoice.currency)} of {invoice.number}.",
        )
    if day > timezone.localdate() or day < invoice.invoice_date:
        raise DomainValidationError(
            field="write_off_date",
            code=BillingError.OUT_OF_RANGE,
            message="A write-off is dated between the invoice date and today.",
        )


def _series(invoice: Invoice, year: int) -> None:
    """The write-off series exists with its own prefix before a number is taken."""
    try:
        with transaction.atomic():
            NumberSeries.objects.get_or_create(
                legal_entity=invoice.legal_entity,
                document_type=DocumentType.WRITE_OFF,
                year=year,
                defaults={"prefix": WRITE_OFF_PREFIX},
            )
    except IntegrityError:
        pass  # created by a parallel write-off


def _post(write_off: WriteOff, invoice: Invoice, actor) -> WriteOff:
    _check(invoice, write_off.amount, write_off.write_off_date)
    _series(invoice, write_off.write_off_date.year)
    label = WriteOffReason(write_off.reason_code).label
    write_off.document = _issue(
        invoice,
        _lines_by_amount(invoice, write_off.amount),
        actor=actor,
        reason=f"Write-off: {label}" + (f". {write_off.memo}" if write_off.memo else ""),
        credit_date=write_off.write_off_date,
        voids=False,
        document_type=DocumentType.WRITE_OFF,
    )
    audit_next_save(invoice, actor=actor, reason=f"invoice.written_off:{write_off.document.number}")
    invoice.save()
    return write_off


@transaction.atomic(durable=True)
def request_write_off(
    *,
    invoice: Invoice,
    amount: Decimal,
    reason_code: str,
    actor,
    memo: str = "",
    write_off_date: date | None = None,
) -> WriteOff:
    """Up to the approval threshold the write-off is posted at once; above it, it waits
    for a second person and changes nothing in AR until approved."""
    if reason_code not in WriteOffReason.values:
        raise DomainValidationError(
            field="reason_code",
            code=BillingError.UNKNOWN_REASON,
            message=f"The reason is one of {', '.join(WriteOffReason.values)}.",
        )
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    day = write_off_date or timezone.localdate()
    _check(invoice, amount, day)
    write_off = WriteOff(
        invoice=invoice,
        currency=invoice.currency,
        amount=amount,
        reason_code=reason_code,
        memo=(memo or "").strip()[:300],
        write_off_date=day,
        status=WriteOffStatus.PENDING,
        requested_by=_actor(actor),
    )
    if amount <= approval_threshold(invoice.currency):
        _post(write_off, invoice, actor)
        write_off.transition_to(WriteOffStatus.POSTED)
        write_off.decided_at = timezone.now()
        write_off.decision_note = "Within the approval threshold"
    audit_next_save(write_off, actor=actor, reason=f"write_off.{write_off.status}")
    write_off.save()
    return write_off


def _locked_pending(write_off: WriteOff) -> WriteOff:
    return WriteOff.objects.select_for_update().get(pk=write_off.pk)


@transaction.atomic(durable=True)
def approve_write_off(*, write_off: WriteOff, actor, note: str = "") -> WriteOff:
    write_off = _locked_pending(write_off)
    check_second_person(requested_by_id=write_off.requested_by_id, actor=actor, what="A write-off")
    write_off.transition_to(WriteOffStatus.POSTED)
    invoice = Invoice.objects.select_for_update().get(pk=write_off.invoice_id)
    _post(write_off, invoice, actor)
    write_off.decided_by, write_off.decided_at = _actor(actor), timezone.now()
    write_off.decision_note = (note or "").strip()[:300]
    audit_next_save(write_off, actor=actor, reason="write_off.approved")
    write_off.save()
    return write_off


@transaction.atomic(durable=True)
def reject_write_off(*, write_off: WriteOff, actor, reason: str) -> WriteOff:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=BillingError.REQUIRED, message="Give a reason."
        )
    write_off = _locked_pending(write_off)
    write_off.transition_to(WriteOffStatus.REJECTED)
    write_off.decided_by, write_off.decided_at = _actor(actor), timezone.now()
    write_off.decision_note = reason[:300]
    audit_next_save(write_off, actor=actor, reason=f"write_off.rejected: {reason}")
    write_off.save()
    return write_off


@transaction.atomic(durable=True)
def write_off_small_balances(
    *, as_of: date, actor, max_amount: Decimal | None = None, currency: str | None = None
) -> SmallBalanceBatch:
    """Every issued invoice overdue on `as_of` with an open balance above zero and up to
    the small-balance limit (per currency, or `max_amount` for `currency`) is written
    off, dated `as_of`, in one batch whose rows are its report. Nothing is left half
    done: one refusal and the batch is not made."""
    if max_amount is not None and currency is None:
        raise DomainValidationError(
            field="currency",
            code=BillingError.REQUIRED,
            message="A maximum amount needs its currency.",
        )
    invoices = (
        Invoice.objects.select_for_update()
        .filter(status=InvoiceStatus.ISSUED, due_date__lt=as_of, invoice_date__lte=as_of)
        .exclude(settlement_status=SettlementStatus.PAID)
        .order_by("currency", "account_id", "id")
    )
    if currency:
        invoices = invoices.filter(currency=currency)
    limit = max_amount if max_amount is not None else None
    batch = SmallBalanceBatch.objects.create(
        as_of=as_of,
        max_amount=limit if limit is not None else small_balance_limit("*"),
        run_by=_actor(actor),
    )
    for invoice in invoices:
        ceiling = limit if limit is not None else small_balance_limit(invoice.currency)
        open_amount = invoice.open_amount
        if not (Decimal(0) < open_amount <= ceiling):
            continue
        write_off = WriteOff(
            invoice=invoice,
            currency=invoice.currency,
            amount=open_amount,
            reason_code=WriteOffReason.SMALL_BALANCE,
            memo=f"Small-balance batch {batch.pk}",
            write_off_date=as_of,
            status=WriteOffStatus.POSTED,
            batch=batch,
            requested_by=_actor(actor),
            decided_at=timezone.now(),
            decision_note="Small-balance batch",
        )
        _post(write_off, invoice, actor)
        audit_next_save(write_off, actor=actor, reason=f"write_off.small_balance:{batch.pk}")
        write_off.save()
    return batch


def batch_report(batch: SmallBalanceBatch) -> dict:
    """Count and total per currency, and each write-off."""
    totals: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    rows = []
    for wo in batch.write_offs.select_related("invoice__account", "document").order_by("id"):
        totals[wo.currency][0] += 1
        totals[wo.currency][1] += wo.amount
        rows.append(
            {
                "invoice": wo.invoice.number,
                "account": wo.invoice.account.legal_name,
                "currency": wo.currency,
                "amount": str(wo.amount.normalize()),
                "document": wo.document.number,
            }
        )
    return {
        "batch": batch.pk,
        "as_of": batch.as_of.isoformat(),
        "totals": {c: {"count": n, "amount": str(t.normalize())} for c, (n, t) in totals.items()},
        "write_offs": rows,
    }
