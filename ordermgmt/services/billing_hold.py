"""Billing hold: billing runs skip a contract while it is set. It is needed most on an
active contract (a dispute, a missing PO), so it changes on its own, with a reason,
outside the contract's edit lock."""

from __future__ import annotations

from django.db import transaction

from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import Contract, ContractStatus
from ordermgmt.services.common import locked_contract

ENDED = {ContractStatus.EXPIRED, ContractStatus.CANCELLED}
MAX_REASON_LENGTH = 500


@transaction.atomic(durable=True)
def set_billing_hold(*, contract: Contract, on_hold: bool, reason: str, actor) -> Contract:
    """Puts billing on hold or releases it; the reason goes into the contract's history."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason",
            code=OrderError.REQUIRED,
            message="Give the reason for changing the billing hold.",
        )
    if len(reason) > MAX_REASON_LENGTH:
        raise DomainValidationError(
            field="reason",
            code=OrderError.OUT_OF_RANGE,
            message=f"The reason is {len(reason)} characters; keep it to {MAX_REASON_LENGTH}.",
        )
    contract = locked_contract(contract)
    if contract.status in ENDED:
        raise DomainValidationError(
            field="on_hold",
            code=OrderError.NOT_EDITABLE,
            message=f"A {contract.get_status_display().lower()} contract is no longer billed.",
        )
    if contract.billing_hold == on_hold:
        state = "already on hold" if on_hold else "not on hold"
        raise DomainValidationError(
            field="on_hold",
            code=OrderError.HOLD_UNCHANGED,
            message=f"Billing of {contract.reference} is {state}.",
        )
    contract.billing_hold = on_hold
    action = "billing_hold.set" if on_hold else "billing_hold.released"
    audit_next_save(contract, actor=actor, reason=f"{action}: {reason}")
    contract.save(update_fields=["billing_hold", "updated_at"])
    return contract
