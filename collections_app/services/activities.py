"""Collection activities: notes, promises to pay, disputes and calls.

Every change is saved through simple-history with the user and a reason
(`dispute.resolved: credited`), so each activity's History (admin) shows who changed
what, when, before and after.

A promise to pay is about **one invoice** (not the account): it pauses dunning on that
invoice only, while the customer's other overdue invoices keep their schedule, and it
is kept or broken by the payments applied to that invoice. A customer who promises to
settle several invoices gets one promise per invoice. A dispute is also about one
invoice; an invoice has at most one open dispute.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from collections_app import selectors
from collections_app.error_codes import CollectionsError
from collections_app.models import (
    ActivityKind,
    ActivityStatus,
    CollectionActivity,
    DisputeReason,
    DisputeResolution,
)
from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from core.money import format_money, is_rounded
from ordermgmt.models import Account

MAX_TEXT = 5000
MAX_PROMISE_DAYS = 366
COLLECTOR_PERMISSION = "collections_app.change_collectionactivity"


def _text(value: str, *, field: str, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise DomainValidationError(
            field=field, code=CollectionsError.REQUIRED, message="Write a few words."
        )
    if len(value) > MAX_TEXT:
        raise DomainValidationError(
            field=field,
            code=CollectionsError.TOO_LONG,
            message=f"Keep it under {MAX_TEXT} characters.",
        )
    return value


def _amount(amount: Decimal | None, currency: str, *, limit: Decimal, limit_name: str) -> Decimal:
    if amount is None or amount <= 0:
        raise DomainValidationError(
            field="amount",
            code=CollectionsError.NOT_POSITIVE,
            message="The amount must be above zero.",
        )
    if not is_rounded(amount, currency):
        raise DomainValidationError(
            field="amount",
            code=CollectionsError.NOT_ROUNDED,
            message=f"{amount} has more decimals than {currency} allows.",
        )
    if amount > limit:
        raise DomainValidationError(
            field="amount",
            code=f"exceeds_{limit_name.replace(' ', '_')}",
            message=f"{format_money(amount, currency)} is more than the invoice's {limit_name} "
            f"of {format_money(limit, currency)}.",
        )
    return amount


def _locked_invoice(invoice: Invoice, account: Account | None = None) -> Invoice:
    invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice.pk)
    if account is not None and invoice.account_id != account.pk:
        raise DomainValidationError(
            field="invoice",
            code=CollectionsError.OTHER_ACCOUNT,
            message="The invoice is another customer's.",
        )
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainValidationError(
            field="invoice",
            code=CollectionsError.NOT_ISSUED,
            message=f"Only issued invoices can be collected; {invoice} is {invoice.status}.",
        )
    return invoice


def _check_owner(owner) -> None:
    if owner is None:
        return
    if not owner.is_active or not owner.has_perm(COLLECTOR_PERMISSION):
        raise DomainValidationError(
            field="owner",
            code=CollectionsError.NOT_A_COLLECTOR,
            message=f"{owner.get_username()} cannot work collections (Finance or Admin only).",
        )


def _save(activity: CollectionActivity, actor, reason: str) -> CollectionActivity:
    audit_next_save(activity, actor=actor, reason=reason)
    activity.save()
    return activity


def _locked_activity(activity: CollectionActivity, kind: str) -> CollectionActivity:
    activity = CollectionActivity.objects.select_for_update().get(pk=activity.pk)
    if activity.kind != kind:
        raise DomainValidationError(
            field="kind",
            code=CollectionsError.WRONG_KIND,
            message=f"This is a {activity.get_kind_display().lower()}, not a "
            f"{ActivityKind(kind).label.lower()}.",
        )
    return activity


# --- Notes ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def add_collection_note(
    *, account: Account, body: str, actor: AbstractBaseUser | None, invoice: Invoice | None = None
) -> CollectionActivity:
    body = _text(body, field="body", required=True)
    if invoice is not None and invoice.account_id != account.pk:
        raise DomainValidationError(
            field="invoice",
            code=CollectionsError.OTHER_ACCOUNT,
            message="The invoice is another customer's.",
        )
    note = CollectionActivity(
        account=account,
        invoice=invoice,
        kind=ActivityKind.NOTE,
        status=ActivityStatus.NONE,
        body=body,
        created_by=actor_or_none(actor),
    )
    return _save(note, actor, "note.added")


@transaction.atomic(durable=True)
def edit_collection_note(*, note: CollectionActivity, body: str, actor) -> CollectionActivity:
    note = _locked_activity(note, ActivityKind.NOTE)
    note.body = _text(body, field="body", required=True)
    return _save(note, actor, "note.edited")


# --- Promises to pay ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def record_promise_to_pay(
    *,
    invoice: Invoice,
    promised_date: date,
    amount: Decimal,
    actor,
    note: str = "",
    account: Account | None = None,
) -> CollectionActivity:
    """Pauses dunning on the invoice until the promised date (see selectors.promise_statuses
    for kept and broken)."""
    invoice = _locked_invoice(invoice, account)
    today = timezone.localdate()
    if promised_date is None or promised_date < today:
        raise DomainValidationError(
            field="promised_date",
            code=CollectionsError.IN_THE_PAST,
            message="The promised payment date cannot be before today.",
        )
    if promised_date > today + timedelta(days=MAX_PROMISE_DAYS):
        raise DomainValidationError(
            field="promised_date",
            code=CollectionsError.TOO_FAR,
            message="A promise more than a year ahead is a payment plan, not a promise.",
        )
    _amount(amount, invoice.currency, limit=invoice.open_amount, limit_name="open balance")
    open_promises = CollectionActivity.objects.filter(
        invoice=invoice, kind=ActivityKind.PROMISE, status=ActivityStatus.OPEN
    )
    statuses = selectors.promise_statuses(open_promises, as_of=today)
    if any(s.outcome == selectors.PromiseOutcome.PENDING for s in statuses.values()):
        raise DomainValidationError(
            field="invoice",
            code=CollectionsError.PROMISE_PENDING,
            message=f"{invoice.number} already has a pending promise; cancel it first.",
        )
    promise = CollectionActivity(
        account_id=invoice.account_id,
        invoice=invoice,
        kind=ActivityKind.PROMISE,
        status=ActivityStatus.OPEN,
        amount=amount,
        currency=invoice.currency,
        promised_date=promised_date,
        body=_text(note, field="note", required=False),
        created_by=actor_or_none(actor),
    )
    return _save(promise, actor, "promise.recorded")


@transaction.atomic(durable=True)
def cancel_promise_to_pay(*, promise: CollectionActivity, reason: str, actor) -> CollectionActivity:
    promise = _locked_activity(promise, ActivityKind.PROMISE)
    reason = _text(reason, field="reason", required=True)
    promise.transition_to(ActivityStatus.CANCELLED)
    promise.resolution_note = reason
    promise.closed_at = timezone.now()
    promise.closed_by = actor_or_none(actor)
    return _save(promise, actor, "promise.cancelled")


# --- Disputes ------------------------------------------------------------------------------------


def _reason(reason: str) -> str:
    if reason not in DisputeReason.values:
        raise DomainValidationError(
            field="reason",
            code=CollectionsError.UNKNOWN_REASON,
            message=f"{reason!r} is not one of {', '.join(DisputeReason.values)}.",
        )
    return reason


@transaction.atomic(durable=True)
def open_dispute(
    *,
    invoice: Invoice,
    reason: str,
    amount: Decimal,
    actor,
    owner=None,
    note: str = "",
    account: Account | None = None,
) -> CollectionActivity:
    """Pauses dunning on the invoice until the dispute is resolved."""
    invoice = _locked_invoice(invoice, account)
    _reason(reason)
    _amount(amount, invoice.currency, limit=invoice.total_amount, limit_name="total")
    _check_owner(owner)
    dispute = CollectionActivity(
        account_id=invoice.account_id,
        invoice=invoice,
        kind=ActivityKind.DISPUTE,
        status=ActivityStatus.OPEN,
        dispute_reason=reason,
        amount=amount,
        currency=invoice.currency,
        owner=owner or actor_or_none(actor),
        body=_text(note, field="note", required=False),
        created_by=actor_or_none(actor),
    )
    try:
        with transaction.atomic():
            return _save(dispute, actor, f"dispute.opened: {reason}")
    except IntegrityError:
        raise DomainValidationError(
            field="invoice",
            code=CollectionsError.DISPUTE_OPEN,
            message=f"{invoice.number} already has an open dispute.",
        ) from None


def _open_dispute(dispute: CollectionActivity) -> CollectionActivity:
    dispute = _locked_activity(dispute, ActivityKind.DISPUTE)
    if dispute.status != ActivityStatus.OPEN:
        raise DomainValidationError(
            field="status",
            code=CollectionsError.NOT_OPEN,
            message="The dispute is already resolved.",
        )
    return dispute


@transaction.atomic(durable=True)
def update_dispute(
    *,
    dispute: CollectionActivity,
    actor,
    owner=None,
    reason: str | None = None,
    amount: Decimal | None = None,
) -> CollectionActivity:
    """Reassign an open dispute, or correct its reason or amount."""
    dispute = _open_dispute(dispute)
    if owner is not None:
        _check_owner(owner)
        dispute.owner = owner
    if reason is not None:
        dispute.dispute_reason = _reason(reason)
    if amount is not None:
        invoice = dispute.invoice
        dispute.amount = _amount(
            amount, dispute.currency, limit=invoice.total_amount, limit_name="total"
        )
    return _save(dispute, actor, "dispute.updated")


@transaction.atomic(durable=True)
def resolve_dispute(
    *, dispute: CollectionActivity, resolution: str, actor, note: str = ""
) -> CollectionActivity:
    """Closes the dispute; dunning on the invoice resumes if a balance is left."""
    dispute = _open_dispute(dispute)
    if resolution not in DisputeResolution.values:
        raise DomainValidationError(
            field="resolution",
            code=CollectionsError.UNKNOWN_RESOLUTION,
            message=f"{resolution!r} is not one of {', '.join(DisputeResolution.values)}.",
        )
    dispute.transition_to(ActivityStatus.RESOLVED)
    dispute.resolution = resolution
    dispute.resolution_note = _text(note, field="note", required=False)
    dispute.closed_at = timezone.now()
    dispute.closed_by = actor_or_none(actor)
    return _save(dispute, actor, f"dispute.resolved: {resolution}")


# --- Calls ---------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def complete_call(*, call: CollectionActivity, outcome: str, actor) -> CollectionActivity:
    """The collector called: what was said goes into the record."""
    call = _locked_activity(call, ActivityKind.CALL)
    outcome = _text(outcome, field="outcome", required=True)
    call.transition_to(ActivityStatus.DONE)
    call.resolution_note = outcome
    call.closed_at = timezone.now()
    call.closed_by = actor_or_none(actor)
    return _save(call, actor, "call.done")
