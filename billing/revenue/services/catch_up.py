"""A contract modification accounted for by cumulative catch-up (ASC 606-10-25-13c),
also used when variable consideration is re-estimated (see modifications.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.revenue.error_codes import RevenueError
from core.audit import actor_or_none
from core.errors import DomainValidationError
from ordermgmt.models import Contract

from ..engine import (
    AllocationTarget,
    allocate,
    catch_up_lines,
    history_before,
    recognised,
)
from ..facts import LineFact
from ..models import (
    AllocationLine,
    AllocationReason,
    ContractModification,
    ObligationLine,
    PerformanceObligation,
    RampPolicy,
    RecognitionPattern,
    RevenueAllocation,
)
from ..obligations import pattern_for, progress_for
from .common import (
    ObligationState,
    current_state,
    discount_line_ids,
    next_allocation_version,
    settings_for,
    write_schedule_version,
)
from .prospective import ZERO, _allocation_line, _kind, _obligation_lines

# --- Cumulative catch-up ---------------------------------------------------------------------


@dataclass
class Joined:
    facts: list[LineFact] = field(default_factory=list)

    @property
    def ssp(self) -> Decimal:
        return sum((f.ssp_amount for f in self.facts), ZERO)

    @property
    def price(self) -> Decimal:
        return sum((f.price for f in self.facts), ZERO)


def _join_target(fact: LineFact, states: list[ObligationState]) -> ObligationState:
    """The partially satisfied obligation an added line belongs to: the same product's,
    else the first ratable one, else the first."""
    for state in states:
        if state.obligation.product_id == fact.product.pk:
            return state
    for state in states:
        if state.obligation.pattern == RecognitionPattern.RATABLE:
            return state
    return states[0]


def _catch_up(
    root: Contract,
    effective: date,
    actor,
    *,
    modification: ContractModification | None = None,
    joined: list[LineFact] = (),
    variable_consideration: Decimal | None = None,
    label: str = "",
) -> RevenueAllocation:
    currency = root.currency
    states = current_state(root)
    if not states:
        raise DomainValidationError(
            field="original_contract",
            code=RevenueError.NOTHING_TO_MODIFY,
            message=f"{root.reference} has no obligation to modify.",
        )
    joins: dict[int, Joined] = defaultdict(Joined)
    usage_facts = []
    for fact in joined:
        if fact.is_usage:
            usage_facts.append(fact)
            continue
        if fact.uncertain_ssp:
            raise DomainValidationError(
                field=f"lines[{fact.index}].product",
                code=RevenueError.RESIDUAL_NOT_DISTINCT,
                message=f"{fact.label} has an uncertain SSP; it cannot join an obligation.",
            )
        joins[_join_target(fact, states).obligation.pk].facts.append(fact)

    settings = settings_for(root)
    prices = defaultdict(Decimal)
    for obligation_id, price in ObligationLine.objects.filter(
        obligation__in=[s.obligation for s in states]
    ).values_list("obligation_id", "contract_price"):
        prices[obligation_id] += price
    line_to_obligation = dict(
        ObligationLine.objects.filter(obligation__in=[s.obligation for s in states]).values_list(
            "contract_line_id", "obligation_id"
        )
    )
    targets = [
        AllocationTarget(
            key=s.obligation.pk,
            label=s.obligation.name,
            ssp=s.obligation.ssp_amount + joins[s.obligation.pk].ssp,
            price=prices[s.obligation.pk] + joins[s.obligation.pk].price,
        )
        for s in states
    ]
    fixed = sum((t.price for t in targets), ZERO)
    variable = (
        settings.variable_consideration_amount or ZERO
        if variable_consideration is None
        else variable_consideration
    )
    named = discount_line_ids(settings)
    result = allocate(
        amount=fixed,
        targets=targets,
        currency=currency,
        discount_keys=None
        if named is None
        else {line_to_obligation[i] for i in named if i in line_to_obligation},
        variable_consideration=variable,
        variable_key=line_to_obligation.get(settings.variable_consideration_line_id),
    )
    reason = AllocationReason.CATCH_UP if modification is not None else AllocationReason.REESTIMATE
    label = label or (
        f"modification {modification.amendment.reference}: cumulative catch-up"
        if modification is not None
        else "variable consideration re-estimated: cumulative catch-up"
    )
    done_total = ZERO
    allocation = RevenueAllocation.objects.create(
        contract=root,
        version=next_allocation_version(root),
        effective_date=effective,
        reason=reason,
        method=result.method,
        currency=currency,
        fixed_consideration=fixed,
        variable_consideration=variable,
        transaction_price=fixed + variable,
        allocated_amount=fixed + variable,
        modification=modification,
        explanation={"method": result.method, "notes": result.notes},
        created_by=actor_or_none(actor),
    )
    allocation_lines = []
    for state, target, total in zip(states, targets, result.amounts, strict=True):
        obligation = state.obligation
        extra = joins[obligation.pk]
        if extra.facts:
            _extend(obligation, extra.facts)
            _obligation_lines(obligation, extra.facts, combined={f.line.pk for f in extra.facts})
        history = history_before(state.lines, effective, currency)
        done = recognised(history)
        done_total += done
        allocation_lines.append(
            _allocation_line(
                allocation, obligation, target.ssp, target.price, done, total - done, "catch-up"
            )
        )
        new_lines = catch_up_lines(
            history=history,
            total=total,
            progress=progress_for(obligation),
            effective=effective,
            currency=currency,
            kind=_kind(obligation.pattern),
        )
        if total == state.total and not extra.facts:
            continue  # nothing changed for this obligation: keep its schedule
        write_schedule_version(
            obligation,
            lines=new_lines,
            total=total,
            effective_date=effective,
            reason=label,
            actor=actor,
            allocation=allocation,
            basis_mode="catch_up",
            basis_origin=effective,
            recognised_before=done,
        )
        obligation.allocated_amount = total
        obligation.save()
    AllocationLine.objects.bulk_create(allocation_lines)
    allocation.recognised_before = done_total
    allocation.save(update_fields=["recognised_before"])
    if modification is not None:
        number = PerformanceObligation.objects.filter(contract=modification.amendment).count()
        for fact in usage_facts:
            number += 1
            obligation = PerformanceObligation.objects.create(
                contract=modification.amendment,
                accounting_contract=root,
                number=number,
                name=fact.line.description or fact.product.name,
                product=fact.product,
                pattern=pattern_for(fact),
                service_start=fact.start,
                service_end=fact.end,
                currency=currency,
                ssp_amount=ZERO,
            )
            _obligation_lines(obligation, [fact])
    return allocation


def _extend(obligation: PerformanceObligation, facts: list[LineFact]) -> None:
    """The obligation now also covers the joined lines: a longer term, more units, and
    (as-invoiced ramps) the joined stretches."""
    obligation.service_end = max([obligation.service_end, *(f.end for f in facts)])
    if obligation.pattern == RecognitionPattern.POINT_IN_TIME:
        obligation.quantity += sum(
            (f.quantity for f in facts if f.product.pk == obligation.product_id), ZERO
        )
    if obligation.ramp_policy == RampPolicy.AS_INVOICED and obligation.ramp_steps:
        obligation.ramp_steps = obligation.ramp_steps + [
            [s.start.isoformat(), s.end.isoformat(), str(s.billed)]
            for f in facts
            for s in f.segments
        ]
