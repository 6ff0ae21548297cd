"""A contract modification accounted for prospectively (ASC 606-10-25-13b): what
remains is re-allocated from the modification date on (see modifications.py)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.audit import actor_or_none
from core.money import round_money

from ..engine import (
    ONE_DAY,
    AllocationTarget,
    RebasedProgress,
    allocate,
    cumulative_lines,
    history_before,
    recognised,
)
from ..facts import LineFact
from ..models import (
    AllocationLine,
    AllocationReason,
    ObligationLine,
    PerformanceObligation,
    RecognitionPattern,
    RevenueAllocation,
)
from ..obligations import build_obligations, draft_progress
from .common import (
    ObligationState,
    current_state,
    discount_line_ids,
    next_allocation_version,
    settings_for,
    write_schedule_version,
)

ZERO = Decimal(0)


# --- Prospective ----------------------------------------------------------------------------


@dataclass
class Remaining:
    state: ObligationState
    history: list
    recognised: Decimal
    unrecognised: Decimal
    weight: Decimal


def _prospective(amendment, root, facts, effective, modification, actor) -> None:
    currency = root.currency
    before = effective - ONE_DAY
    remaining: list[Remaining] = []
    finished: list[tuple[ObligationState, Decimal]] = []
    for state in current_state(root):
        history = history_before(state.lines, effective, currency)
        done = recognised(history)
        left = 1 - state.progress().at(before)
        if left <= 0:
            finished.append((state, done))
            continue
        weight = round_money(
            state.obligation.ssp_amount * left.numerator / left.denominator, currency
        )
        remaining.append(Remaining(state, history, done, state.total - done, weight))

    settings = settings_for(amendment)
    numbers = PerformanceObligation.objects.filter(contract=amendment).count()
    drafts = build_obligations(
        facts,
        ratable_method=settings.ratable_method,
        ramp_policy=settings.ramp_policy,
        first_number=numbers + 1,
    )
    by_line = {line_id: d.number for d in drafts for line_id in d.line_ids}
    new_targets = [d for d in drafts if d.pattern != RecognitionPattern.USAGE]
    targets = [
        AllocationTarget(
            key=("old", r.state.obligation.pk),
            label=r.state.obligation.name,
            ssp=r.weight,
            price=r.unrecognised,
        )
        for r in remaining
    ] + [
        AllocationTarget(
            key=("new", d.number), label=d.label, ssp=d.ssp, price=d.price, ssp_range=d.ssp_range
        )
        for d in new_targets
    ]
    unrecognised = sum((r.unrecognised for r in remaining), ZERO)
    added = sum((d.price for d in new_targets), ZERO)
    variable = settings.variable_consideration_amount or ZERO
    named = discount_line_ids(settings)
    result = allocate(
        amount=unrecognised + added,
        targets=targets,
        currency=currency,
        discount_keys=None
        if named is None
        else {("new", by_line[i]) for i in named if i in by_line},
        variable_consideration=variable,
        variable_key=("new", by_line[settings.variable_consideration_line_id])
        if settings.variable_consideration_line_id in by_line
        else None,
    )
    shares = {t.key: a for t, a in zip(targets, result.amounts, strict=True)}
    done_total = sum((r.recognised for r in remaining), ZERO) + sum((d for _, d in finished), ZERO)
    previous = RevenueAllocation.objects.filter(contract=root).order_by("-version").first()
    allocation = RevenueAllocation.objects.create(
        contract=root,
        version=next_allocation_version(root),
        effective_date=effective,
        reason=AllocationReason.PROSPECTIVE,
        method=result.method,
        currency=currency,
        fixed_consideration=(previous.fixed_consideration if previous else ZERO) + added,
        variable_consideration=(previous.variable_consideration if previous else ZERO) + variable,
        transaction_price=done_total + unrecognised + added + variable,
        recognised_before=done_total,
        allocated_amount=unrecognised + added + variable,
        modification=modification,
        explanation={
            "method": result.method,
            "pool": f"{unrecognised} not yet recognised + {added} added"
            + (f" + {variable} variable" if variable else ""),
            "notes": result.notes,
            "remaining_ssp_basis": "inception SSP x share of performance still to come",
        },
        created_by=actor_or_none(actor),
    )
    lines = []
    for state, done in finished:
        lines.append(_allocation_line(allocation, state.obligation, ZERO, ZERO, done, ZERO, "done"))
    for r in remaining:
        obligation = r.state.obligation
        share = shares[("old", obligation.pk)]
        total = r.recognised + share
        new_lines = r.history + cumulative_lines(
            total=share,
            progress=RebasedProgress(r.state.progress(), effective),
            currency=currency,
            kind=_kind(obligation.pattern),
            start=effective,
            offset=r.recognised,
        )
        write_schedule_version(
            obligation,
            lines=new_lines,
            total=total,
            effective_date=effective,
            reason=f"modification {modification.amendment.reference}: prospective",
            actor=actor,
            allocation=allocation,
            basis_mode="prospective",
            basis_origin=effective,
            recognised_before=r.recognised,
        )
        obligation.allocated_amount = total
        obligation.save(update_fields=["allocated_amount"])
        lines.append(
            _allocation_line(
                allocation, obligation, r.weight, r.unrecognised, r.recognised, share, "remaining"
            )
        )
    for draft in drafts:
        obligation = _create_obligation(amendment, root, draft, currency)
        _obligation_lines(obligation, draft.facts, combined=draft.combined_ids)
        if draft.pattern == RecognitionPattern.USAGE:
            continue
        share = shares[("new", draft.number)]
        obligation.allocated_amount = share
        obligation.save(update_fields=["allocated_amount"])
        write_schedule_version(
            obligation,
            lines=cumulative_lines(
                total=share, progress=draft_progress(draft), currency=currency, kind=draft.pattern
            ),
            total=share,
            effective_date=effective,
            reason=f"modification {modification.amendment.reference}: added",
            actor=actor,
            allocation=allocation,
        )
        lines.append(
            _allocation_line(allocation, obligation, draft.ssp, draft.price, ZERO, share, "added")
        )
    AllocationLine.objects.bulk_create(lines)


def _kind(pattern: str) -> str:
    return "point_in_time" if pattern == RecognitionPattern.POINT_IN_TIME else "ratable"


def _allocation_line(allocation, obligation, ssp, price, before, share, basis) -> AllocationLine:
    return AllocationLine(
        allocation=allocation,
        obligation=obligation,
        ssp_amount=ssp or ZERO,
        contract_price=price or ZERO,
        recognised_before=before,
        allocated_amount=share,
        total_amount=before + share,
        basis=basis,
    )


def _create_obligation(contract, root, draft, currency) -> PerformanceObligation:
    return PerformanceObligation.objects.create(
        contract=contract,
        accounting_contract=root,
        number=draft.number,
        name=draft.name,
        product=draft.anchor.product,
        pattern=draft.pattern,
        ratable_method=draft.ratable_method,
        ramp_policy=draft.ramp_policy,
        service_start=draft.start,
        service_end=draft.end,
        quantity=draft.quantity,
        currency=currency,
        ssp_amount=draft.ssp if draft.ssp is not None else ZERO,
        residual_ssp=draft.residual,
        ramp_steps=draft.ramp_steps(),
    )


def _obligation_lines(obligation, facts: list[LineFact], *, combined=frozenset()) -> None:
    ObligationLine.objects.bulk_create(
        ObligationLine(
            obligation=obligation,
            contract_line=fact.line,
            ssp_unit_price=fact.ssp_unit,
            ssp_amount=fact.ssp_amount,
            contract_price=fact.price,
            combined=fact.line.pk in combined,
        )
        for fact in facts
    )
