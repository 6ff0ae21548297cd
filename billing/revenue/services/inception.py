"""A contract's revenue at inception: obligations, allocation v1, schedules v1.

`plan_inception` does the arithmetic (it raises DomainValidationError for a missing SSP, a
residual out of range ...); `write_plans` writes many contracts' plans with one COPY per
table on PostgreSQL (`core.bulk.insert_rows`; bulk INSERTs elsewhere), so activating one
contract and building a book of 10,000 share one path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch

from core.audit import actor_or_none
from core.bulk import insert_rows
from ordermgmt.models import Contract, ContractLine

from ..engine import AllocationResult, AllocationTarget, DraftLine, allocate, cumulative_lines
from ..facts import billed_per_line, contract_line_facts, ssp_lookup
from ..models import (
    AllocationLine,
    AllocationReason,
    ObligationLine,
    PerformanceObligation,
    RecognitionPattern,
    RevenueAllocation,
    RevenueContractSettings,
    RevenueSchedule,
)
from ..obligations import ObligationDraft, build_obligations, draft_progress
from .common import (
    discount_line_ids,
    inception_date,
    insert_schedule_lines,
    schedule_line_tuples,
)

ZERO = Decimal(0)


@dataclass
class InceptionPlan:
    contract: Contract
    accounting_contract: Contract
    effective_date: date
    drafts: list[ObligationDraft]
    allocated: dict[int, Decimal]  # obligation number -> allocated amount
    result: AllocationResult | None
    fixed_consideration: Decimal
    variable_consideration: Decimal
    lines: dict[int, list[DraftLine]] = field(default_factory=dict)
    reason: str = AllocationReason.INCEPTION
    modification: object = None

    @property
    def transaction_price(self) -> Decimal:
        return self.fixed_consideration + self.variable_consideration


def allocation_targets(drafts: Sequence[ObligationDraft]) -> list[AllocationTarget]:
    return [
        AllocationTarget(
            key=d.number, label=d.label, ssp=d.ssp, price=d.price, ssp_range=d.ssp_range
        )
        for d in drafts
        if d.pattern != RecognitionPattern.USAGE
    ]


def plan_inception(
    contract: Contract,
    settings: RevenueContractSettings,
    *,
    lines: list[ContractLine] | None = None,
    billed: dict | None = None,
    prices: dict | None = None,
    ranges: dict | None = None,
    accounting_contract: Contract | None = None,
    effective_date: date | None = None,
) -> InceptionPlan:
    facts = contract_line_facts(contract, lines=lines, billed=billed, prices=prices, ranges=ranges)
    drafts = build_obligations(
        facts, ratable_method=settings.ratable_method, ramp_policy=settings.ramp_policy
    )
    by_line = {line_id: d.number for d in drafts for line_id in d.line_ids}
    targets = allocation_targets(drafts)
    fixed = sum((t.price for t in targets), ZERO)
    variable = settings.variable_consideration_amount or ZERO
    result = None
    allocated: dict[int, Decimal] = {}
    if targets:
        named = discount_line_ids(settings)
        result = allocate(
            amount=fixed,
            targets=targets,
            currency=contract.currency,
            discount_keys=None if named is None else {by_line[i] for i in named if i in by_line},
            variable_consideration=variable,
            variable_key=by_line.get(settings.variable_consideration_line_id),
        )
        allocated = {t.key: a for t, a in zip(targets, result.amounts, strict=True)}
    elif variable:
        variable = ZERO  # a usage-only contract has nothing to carry an estimate
    plan = InceptionPlan(
        contract=contract,
        accounting_contract=accounting_contract or contract,
        effective_date=effective_date or inception_date(contract),
        drafts=drafts,
        allocated=allocated,
        result=result,
        fixed_consideration=fixed,
        variable_consideration=variable,
    )
    for draft in drafts:
        if draft.pattern == RecognitionPattern.USAGE:
            continue
        plan.lines[draft.number] = cumulative_lines(
            total=allocated[draft.number],
            progress=draft_progress(draft),
            currency=contract.currency,
            kind=draft.pattern,
        )
    return plan


def _explanation(plan: InceptionPlan) -> dict:
    result = plan.result
    if result is None:
        return {"method": "usage only: recognised as invoiced"}
    return {
        "method": result.method,
        "weights": {str(k): str(w) for k, w in zip(plan.allocated, result.weights, strict=True)},
        "discount": None if result.discount is None else str(result.discount),
        "residual": None if result.residual is None else str(result.residual),
        "notes": result.notes,
        "rounding": "core.money.split: every part but the last rounded half-up, "
        "the last takes the remainder",
    }


def write_plans(plans: Sequence[InceptionPlan], *, actor=None) -> list[RevenueAllocation]:
    """Bulk-writes obligations, allocation v1 and schedules v1 of every plan."""
    user = actor_or_none(actor)
    obligations: list[PerformanceObligation] = []
    owners: list[tuple[InceptionPlan, ObligationDraft]] = []
    for plan in plans:
        residual = plan.result.residual if plan.result else None
        for draft in plan.drafts:
            ssp = draft.ssp if draft.ssp is not None else (residual or ZERO)
            obligations.append(
                PerformanceObligation(
                    contract=plan.contract,
                    accounting_contract=plan.accounting_contract,
                    number=draft.number,
                    name=draft.name,
                    product=draft.anchor.product,
                    pattern=draft.pattern,
                    ratable_method=draft.ratable_method,
                    ramp_policy=draft.ramp_policy,
                    service_start=draft.start,
                    service_end=draft.end,
                    quantity=draft.quantity,
                    currency=plan.contract.currency,
                    ssp_amount=ssp,
                    residual_ssp=draft.residual,
                    ramp_steps=draft.ramp_steps(),
                    allocated_amount=plan.allocated.get(draft.number, ZERO),
                )
            )
            owners.append((plan, draft))
    insert_rows(obligations)

    obligation_lines = [
        ObligationLine(
            obligation=obligation,
            contract_line=fact.line,
            ssp_unit_price=fact.ssp_unit,
            ssp_amount=fact.ssp_amount if not fact.uncertain_ssp else obligation.ssp_amount,
            contract_price=fact.price,
            combined=fact.line.pk in draft.combined_ids,
        )
        for obligation, (plan, draft) in zip(obligations, owners, strict=True)
        for fact in draft.facts
    ]
    insert_rows(obligation_lines)

    allocations = [
        RevenueAllocation(
            contract=plan.accounting_contract,
            version=1,
            is_current=True,
            effective_date=plan.effective_date,
            reason=plan.reason,
            method=plan.result.method if plan.result else "relative_ssp",
            currency=plan.contract.currency,
            fixed_consideration=plan.fixed_consideration,
            variable_consideration=plan.variable_consideration,
            transaction_price=plan.transaction_price,
            allocated_amount=plan.transaction_price,
            modification=plan.modification,
            explanation=_explanation(plan),
            created_by=user,
        )
        for plan in plans
    ]
    insert_rows(allocations)
    allocation_of = {id(plan): a for plan, a in zip(plans, allocations, strict=True)}

    allocation_lines = []
    schedules = []
    schedule_lines: dict[int, list[DraftLine]] = {}
    for obligation, (plan, draft) in zip(obligations, owners, strict=True):
        if draft.pattern == RecognitionPattern.USAGE:
            continue
        allocation = allocation_of[id(plan)]
        amount = plan.allocated[draft.number]
        weight = plan.result.weights[list(plan.allocated).index(draft.number)]
        allocation_lines.append(
            AllocationLine(
                allocation=allocation,
                obligation=obligation,
                ssp_amount=weight,
                contract_price=draft.price,
                allocated_amount=amount,
                total_amount=amount,
                basis="residual" if draft.residual else plan.result.method,
            )
        )
        schedule = RevenueSchedule(
            obligation=obligation,
            version=1,
            is_current=True,
            effective_date=plan.effective_date,
            reason=plan.reason,
            currency=obligation.currency,
            total_amount=amount,
            allocation=allocation,
            created_by=user,
        )
        schedules.append(schedule)
        schedule_lines[id(schedule)] = plan.lines[draft.number]
    insert_rows(allocation_lines)
    insert_rows(schedules)

    insert_schedule_lines(
        row
        for schedule in schedules
        for row in schedule_line_tuples(schedule, schedule_lines[id(schedule)])
    )
    return allocations


def recognise_contracts(contracts: Sequence[Contract], *, actor=None) -> list[RevenueAllocation]:
    """Inception for many contracts at once (bulk reads, bulk writes). Raises the first
    DomainValidationError; callers that must not fail catch it per contract."""
    contracts = list(contracts)
    lines_by_contract: dict[int, list[ContractLine]] = defaultdict(list)
    for line in (
        ContractLine.objects.filter(contract__in=contracts)
        .select_related("product")
        .prefetch_related(Prefetch("ramp_steps"))
        .order_by("contract_id", "id")
    ):
        lines_by_contract[line.contract_id].append(line)
    billed = billed_per_line(contracts)
    prices, ranges = ssp_lookup(
        (line.product_id, contract.currency)
        for contract in contracts
        for line in lines_by_contract[contract.pk]
    )
    settings = {
        s.contract_id: s for s in RevenueContractSettings.objects.filter(contract__in=contracts)
    }
    plans = [
        plan_inception(
            contract,
            settings.get(contract.pk) or RevenueContractSettings(contract=contract),
            lines=lines_by_contract[contract.pk],
            billed=billed,
            prices=prices,
            ranges=ranges,
        )
        for contract in contracts
    ]
    return write_plans(plans, actor=actor)
