"""A contract line's ramp steps, replaced as a whole from the contract form."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import ContractLine, RampStep
from ordermgmt.services.validation import overlapping_steps_error, ramp_step_errors


# Not durable: the admin saves a contract, its lines and their steps in one transaction,
# so that a refused step leaves the contract as it was.
@transaction.atomic
def replace_ramp_steps(
    *, line: ContractLine, steps: Sequence[RampStep], actor, reason: str = "contract.updated"
) -> ContractLine:
    contract = line.contract
    if not contract.is_editable:
        raise DomainValidationError(
            field="ramp_steps",
            code=OrderError.NOT_EDITABLE,
            message="The ramp steps of an active or ended contract cannot change.",
        )
    for step in steps:
        errors = ramp_step_errors(step, contract=contract)
        if errors:
            raise errors[0]
    overlap = overlapping_steps_error(list(steps))
    if overlap:
        raise overlap
    for old in line.ramp_steps.all():
        audit_next_save(old, actor=actor, reason=reason)
        old.delete()
    for step in sorted(steps, key=lambda s: s.start_date):
        fresh = RampStep(
            line=line,
            start_date=step.start_date,
            end_date=step.end_date,
            quantity=step.quantity,
            unit_price=step.unit_price,
        )
        audit_next_save(fresh, actor=actor, reason=reason)
        fresh.save()
    return line
