"""The approval hook of the refund and credit note services (billing.services).

Called inside the service's own transaction, after its checks and before it writes:
- without an approval, a person's refund or credit note above its threshold is refused
  (`needs_second_person`) and nothing changes; the person asks for approval instead
  (billing.writeoffs.approvals). Refunds recorded by the system (actor None: a refund
  already made at Stripe, the demo) are records of fact, not requests, and pass.
- with an approval, the request is locked and must be pending, of this kind, for this
  document and amount, and the actor must be a second person; `complete` then links the
  result and marks the request approved in the same transaction."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from billing.error_codes import BillingError
from billing.writeoffs.models import ApprovalKind, ApprovalRequest, ApprovalStatus
from billing.writeoffs.rules import check_second_person, needs_second_person, threshold
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import format_money

SETTINGS = {
    ApprovalKind.REFUND: "REFUND_APPROVAL_THRESHOLDS",
    ApprovalKind.CREDIT_REFUND: "REFUND_APPROVAL_THRESHOLDS",
    ApprovalKind.CREDIT_NOTE: "CREDIT_NOTE_APPROVAL_THRESHOLDS",
}
_NOUNS = {
    ApprovalKind.REFUND: "A refund",
    ApprovalKind.CREDIT_REFUND: "A refund",
    ApprovalKind.CREDIT_NOTE: "A credit note",
}
_SOURCE = {
    ApprovalKind.REFUND: "payment_id",
    ApprovalKind.CREDIT_REFUND: "credit_on_account_id",
    ApprovalKind.CREDIT_NOTE: "invoice_id",
}


def limit_for(kind: str, currency: str) -> Decimal | None:
    from django.conf import settings

    return threshold(getattr(settings, SETTINGS[kind], {}) or {}, currency)


def check_approval(
    *,
    kind: str,
    source_id: int,
    amount: Decimal,
    currency: str,
    actor,
    approval: ApprovalRequest | None,
) -> ApprovalRequest | None:
    if approval is None:
        if getattr(actor, "pk", None) and needs_second_person(SETTINGS[kind], amount, currency):
            limit = limit_for(kind, currency)
            raise DomainValidationError(
                field="amount",
                code=BillingError.NEEDS_SECOND_PERSON,
                message=f"{_NOUNS[kind]} above {format_money(limit, currency)} needs a second "
                "person's approval: ask for it on the Approvals page.",
            )
        return None
    note = getattr(approval, "_note", "")
    approval = ApprovalRequest.objects.select_for_update().get(pk=approval.pk)
    approval._note = note
    if approval.status != ApprovalStatus.PENDING:
        raise DomainValidationError(
            field="approval",
            code=BillingError.ALREADY_RESOLVED,
            message=f"This request is already {approval.get_status_display().lower()}.",
        )
    if (
        approval.kind != kind
        or getattr(approval, _SOURCE[kind]) != source_id
        or approval.amount != amount
        or approval.currency != currency
    ):
        raise DomainValidationError(
            field="approval",
            code=BillingError.APPROVAL_MISMATCH,
            message="The approval is for another document or amount.",
        )
    if not getattr(actor, "pk", None):
        raise DomainValidationError(
            field="approver", code=BillingError.REQUIRED, message="An approver is a person."
        )
    check_second_person(requested_by_id=approval.requested_by_id, actor=actor, what=_NOUNS[kind])
    return approval


def complete(approval: ApprovalRequest | None, *, actor, result, note: str = "") -> None:
    if approval is None:
        return
    field = {
        ApprovalKind.REFUND: "refund",
        ApprovalKind.CREDIT_REFUND: "credit_refund",
        ApprovalKind.CREDIT_NOTE: "credit_note",
    }[approval.kind]
    setattr(approval, field, result)
    approval.transition_to(ApprovalStatus.APPROVED)
    approval.decided_by, approval.decided_at = actor, timezone.now()
    approval.decision_note = (note or getattr(approval, "_note", "") or "").strip()[:300]
    audit_next_save(approval, actor=actor, reason="approval.approved")
    approval.save()
