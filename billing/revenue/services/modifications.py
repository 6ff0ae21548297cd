"""Contract modifications (ASC 606-10-25-10 to 25-13) and re-estimates of variable
consideration (32-42 to 32-45).

The decision tree, from explicit inputs (never inferred silently):
1. the added goods are distinct AND priced at SSP (`priced_at_ssp`, a recorded judgement)
   -> a separate contract: the amendment gets its own revenue, the original is unchanged;
2. else, the remaining goods are distinct from those transferred -> prospective: the
   remaining obligations and the added ones share (consideration not yet recognised +
   the amendment's consideration) by relative SSP, spread over what remains; no catch-up;
3. else -> cumulative catch-up: the amendment joins the partially satisfied obligation;
   the new transaction price is re-allocated and revenue to date jumps to
   round(new total x progress) on the effective date.

Every change writes new allocation and schedule versions; the old ones stay. Lines before
the effective date are copied unchanged into the new versions: past revenue is never
restated.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.money import round_money
from core.audit import actor_or_none, audit_next_save
from ordermgmt.errors import DomainValidationError
from ordermgmt.models import Contract, ContractKind, ContractStatus

from ..engine import (
    ONE_DAY,
    AllocationTarget,
    RebasedProgress,
    allocate,
    catch_up_lines,
    cumulative_lines,
    history_before,
    recognised,
)
from ..facts import LineFact, contract_line_facts
from ..models import (
    AllocationLine,
    AllocationReason,
    ContractModification,
    ModificationTreatment,
    ObligationLine,
    PerformanceObligation,
    RampPolicy,
    RecognitionPattern,
    RevenueAllocation,
)
from ..obligations import build_obligations, draft_progress, pattern_for, progress_for
from .common import (
    ObligationState,
    accounting_contract_of,
    current_state,
    discount_line_ids,
    next_allocation_version,
    settings_for,
    write_schedule_version,
)

ZERO = Decimal(0)


def decide_treatment(
    *, added_goods_distinct: bool, priced_at_ssp: bool, remaining_goods_distinct: bool
) -> str:
    if added_goods_distinct and priced_at_ssp:
        return ModificationTreatment.SEPARATE_CONTRACT
    if remaining_goods_distinct:
        return ModificationTreatment.PROSPECTIVE
    return ModificationTreatment.CUMULATIVE_CATCH_UP


def check_amendment(amendment: Contract) -> Contract:
    if amendment.kind != ContractKind.AMENDMENT or amendment.original_contract_id is None:
        raise DomainValidationError(
            field="amendment",
            code="not_an_amendment",
            message=f"{amendment.reference} is not an amendment of another contract.",
        )
    if amendment.status != ContractStatus.ACTIVE:
        raise DomainValidationError(
            field="amendment",
            code="not_active",
            message=f"{amendment.reference} must be active before its revenue is accounted for.",
        )
    if ContractModification.objects.filter(amendment=amendment).exists():
        raise DomainValidationError(
            field="amendment",
            code="already_accounted",
            message=f"{amendment.reference} has already been accounted for.",
        )
    original = amendment.original_contract
    if not PerformanceObligation.objects.filter(contract=original).exists():
        raise DomainValidationError(
            field="original_contract",
            code="original_not_recognised",
            message=f"The revenue of {original.reference} is not built yet; build it first.",
        )
    return original


def apply_modification(
    *,
    amendment: Contract,
    priced_at_ssp: bool,
    remaining_goods_distinct: bool,
    effective_date: date | None,
    actor,
    note: str = "",
) -> ContractModification:
    """Runs inside the caller's transaction (activation hook or the durable service)."""
    original = check_amendment(amendment)
    if priced_at_ssp is None or remaining_goods_distinct is None:
        raise DomainValidationError(
            field="priced_at_ssp",
            code="required",
            message="Say whether the added goods are priced at SSP and whether the remaining "
            "goods are distinct: the treatment follows from these judgements.",
        )
    effective = effective_date or amendment.start_date
    if effective < original.start_date:
        raise DomainValidationError(
            field="effective_date",
            code="before_original_start",
            message=f"The modification cannot take effect before {original.reference} starts.",
        )
    facts = contract_line_facts(amendment)
    added_distinct = all(f.product.distinct or f.is_usage for f in facts)
    treatment = decide_treatment(
        added_goods_distinct=added_distinct,
        priced_at_ssp=priced_at_ssp,
        remaining_goods_distinct=remaining_goods_distinct,
    )
    modification = ContractModification(
        amendment=amendment,
        original=original,
        treatment=treatment,
        priced_at_ssp=priced_at_ssp,
        added_goods_distinct=added_distinct,
        remaining_goods_distinct=remaining_goods_distinct,
        effective_date=effective,
        note=note,
        decided_by=actor_or_none(actor),
    )
    audit_next_save(
        modification, actor=modification.decided_by, reason=f"revenue.modification:{treatment}"
    )
    modification.save()
    _remember_inputs(amendment, priced_at_ssp, remaining_goods_distinct, effective_date, actor)
    root = accounting_contract_of(original)
    if treatment == ModificationTreatment.SEPARATE_CONTRACT:
        from .inception import plan_inception, write_plans

        plan = plan_inception(amendment, settings_for(amendment), effective_date=effective)
        plan.modification = modification
        write_plans([plan], actor=actor)
    elif treatment == ModificationTreatment.PROSPECTIVE:
        _prospective(amendment, root, facts, effective, modification, actor)
    else:
        _catch_up(root, effective, actor, modification=modification, joined=facts)
    return modification


def _remember_inputs(amendment, priced_at_ssp, remaining_distinct, effective_date, actor):
    settings = settings_for(amendment)
    settings.priced_at_ssp = priced_at_ssp
    settings.remaining_goods_distinct = remaining_distinct
    settings.modification_effective_date = effective_date
    audit_next_save(settings, actor=actor, reason="revenue.modification_inputs")
    settings.save()


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
) -> RevenueAllocation:
    currency = root.currency
    states = current_state(root)
    if not states:
        raise DomainValidationError(
            field="original_contract",
            code="nothing_to_modify",
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
                code="residual_not_distinct",
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
    label = (
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


def reestimate(
    *, contract: Contract, amount: Decimal, effective_date: date, actor
) -> RevenueAllocation:
    root = accounting_contract_of(contract)
    settings = settings_for(root)
    if settings.pk is None:
        settings.save()
    settings.variable_consideration_amount = amount
    audit_next_save(settings, actor=actor, reason="revenue.variable_consideration_reestimated")
    settings.save()
    return _catch_up(root, effective_date, actor, variable_consideration=amount)
