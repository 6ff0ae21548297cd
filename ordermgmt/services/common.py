"""Small helpers the contract and deal desk services share (no transactions here)."""

from __future__ import annotations

from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import Contract


def locked_contract(contract: Contract) -> Contract:
    return Contract.objects.select_for_update().get(pk=contract.pk)


def move_contract(contract: Contract, new_status: str, actor, reason: str) -> Contract:
    contract.transition_to(new_status)
    # The full comment of a decision lives on DealDeskDecision; history keeps it trimmed.
    audit_next_save(contract, actor=actor, reason=reason)
    contract.save()
    return contract


def require_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise DomainValidationError(
            field="comment",
            code=OrderError.REQUIRED,
            message="A comment is required for this decision.",
        )
    return comment
