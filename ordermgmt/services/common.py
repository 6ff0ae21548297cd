"""Small helpers the contract and deal desk services share (no transactions here)."""

from __future__ import annotations

from ordermgmt.errors import DomainValidationError
from ordermgmt.models import Contract

# simple-history keeps the reason in a 100-character column; the full comment of a
# decision lives on DealDeskDecision.
CHANGE_REASON_LENGTH = 100


def mark_actor(instance, actor, reason: str) -> None:
    """simple-history records this user and reason on the next save."""
    if len(reason) > CHANGE_REASON_LENGTH:
        reason = reason[: CHANGE_REASON_LENGTH - 1] + "…"
    instance._history_user = actor if getattr(actor, "pk", None) else None
    instance._change_reason = reason


def locked_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def move_contract(contract: Contract, new_status: str, actor, reason: str) -> Contract:
    contract.transition_to(new_status)
    mark_actor(contract, actor, reason)
    contract.save()
    return contract


def require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise DomainValidationError(
            field="comment", code="required", message="A comment is required for this decision."
        )
    return comment
