"""update_contract for many contracts at once (a page of booking changes from the CRM).

Each change is validated exactly as ``update_contract`` validates it (editable status,
header, every line and ramp step, the contract value ceiling); a refused one comes back
as its ``DomainValidationError``, in input order, and writes nothing. The valid ones are
written with set-based statements: one UPDATE per batch of contracts, the replaced lines
and their ramp steps deleted with one DELETE each, the new ones inserted in bulk, and one
history row for every row changed, deleted or created (``core.audit.bulk_history``: the
same rows, actor and reason as ``update_contract`` records). The number of queries does
not grow with the number of contracts, except for deal desk re-evaluation of contracts
already submitted (pending review or approved), which runs per contract as in
``update_contract``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from core.audit import bulk_history
from core.bulk import insert_rows, update_rows
from core.errors import DomainValidationError
from ordermgmt.error_codes import OrderError
from ordermgmt.models import Contract, ContractLine, ContractStatus, RampStep

from .contracts import (
    ContractLineInput,
    ContractTerms,
    _build_lines,
    _check_contract_value,
    _require_editable,
    _validate_header,
)
from .dealdesk import reevaluate_after_change
from .tax_basis import price_bases
from .validation import contract_line_errors

REASON = "contract.updated"
TERM_FIELDS = tuple(ContractTerms.__dataclass_fields__)


@dataclass
class ContractUpdate:
    contract: Contract
    terms: ContractTerms
    lines: Sequence[ContractLineInput] | None = None  # None: keep the lines


def _check_kept_lines(contract: Contract) -> None:
    """Terms changed under existing lines: the lines must still fit the contract."""
    lines = list(contract.lines.all())
    for index, line in enumerate(lines):
        errors = contract_line_errors(line, contract=contract)
        if errors:
            raise DomainValidationError(
                field=f"lines[{index}].{errors[0].field}",
                code=errors[0].code,
                message=errors[0].message,
            )
    _check_contract_value(contract, [(line, list(line.ramp_steps.all())) for line in lines])


@transaction.atomic(durable=True)
def update_contracts(
    *, updates: Sequence[ContractUpdate], actor: AbstractBaseUser | None
) -> list[Contract | DomainValidationError]:
    locked = (
        Contract.objects.select_for_update(of=("self",))
        .prefetch_related("lines__ramp_steps")
        .in_bulk([u.contract.pk for u in updates])
    )
    results: list[Contract | DomainValidationError] = []
    changed: list[Contract] = []
    replaced: list[tuple[Contract, list]] = []
    # Every price-book basis the new lines need, read once for the whole batch.
    bases = price_bases(
        (
            line.product.pk,
            update.terms.__dict__.get("currency") or locked[update.contract.pk].currency,
        )
        for update in updates
        if update.lines is not None and update.contract.pk in locked
        for line in update.lines
    )
    for update in updates:
        contract = locked.get(update.contract.pk)
        if contract is None:
            results.append(
                DomainValidationError(
                    field="contract",
                    code=OrderError.NOT_EDITABLE,
                    message="The contract no longer exists.",
                )
            )
            continue
        before = {name: getattr(contract, name) for name in TERM_FIELDS}
        try:
            _require_editable(contract)
            for name, value in update.terms.__dict__.items():
                setattr(contract, name, value)
            _validate_header(contract)
            if update.lines is None:
                _check_kept_lines(contract)
            else:
                replaced.append((contract, _build_lines(contract, update.lines, bases=bases)))
        except DomainValidationError as err:
            for name, value in before.items():
                setattr(contract, name, value)
            results.append(err)
            continue
        changed.append(contract)
        results.append(contract)
    if not changed:
        return results

    now = timezone.now()
    for contract in changed:
        contract.updated_at = now
    update_rows(changed, [*TERM_FIELDS, "updated_at"])
    bulk_history(Contract, changed, history_type="~", reason=REASON, actor=actor)
    if replaced:
        _replace_lines(replaced, actor)
    for contract in changed:
        if contract.status in {ContractStatus.PENDING_REVIEW, ContractStatus.APPROVED}:
            reevaluate_after_change(contract=contract, actor=actor)
    return results


def _replace_lines(replaced: list[tuple[Contract, list]], actor) -> None:
    old_lines = [line for contract, _ in replaced for line in contract.lines.all()]
    old_steps = [step for line in old_lines for step in line.ramp_steps.all()]
    bulk_history(RampStep, old_steps, history_type="-", reason=REASON, actor=actor)
    bulk_history(ContractLine, old_lines, history_type="-", reason=REASON, actor=actor)
    # No delete signals (their history rows are written above, in bulk), so a plain
    # DELETE per table. A row that still points at a line (a schedule or invoice line)
    # makes it fail, as the PROTECT foreign keys would.
    RampStep.objects.filter(pk__in=[step.pk for step in old_steps])._raw_delete(RampStep.objects.db)
    ContractLine.objects.filter(pk__in=[line.pk for line in old_lines])._raw_delete(
        ContractLine.objects.db
    )
    lines = []
    steps = []
    for contract, built in replaced:
        for line, line_steps in built:
            line.contract_id = contract.pk
            lines.append(line)
            for step in line_steps:
                step.line = line
                steps.append(step)
    insert_rows(lines)
    bulk_history(ContractLine, lines, history_type="+", reason=REASON, actor=actor)
    if steps:
        insert_rows(steps)
        bulk_history(RampStep, steps, history_type="+", reason=REASON, actor=actor)
    # The contracts' prefetched lines are gone: read them afresh when asked.
    for contract, _ in replaced:
        getattr(contract, "_prefetched_objects_cache", {}).pop("lines", None)
