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

from datetime import date
from decimal import Decimal

from billing.revenue.error_codes import RevenueError
from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from ordermgmt.models import Contract, ContractKind, ContractStatus

from ..facts import contract_line_facts
from ..models import (
    ContractModification,
    ModificationTreatment,
    PerformanceObligation,
    RevenueAllocation,
)
from .catch_up import _catch_up
from .common import (
    accounting_contract_of,
    settings_for,
)
from .prospective import _prospective


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
            code=RevenueError.NOT_AN_AMENDMENT,
            message=f"{amendment.reference} is not an amendment of another contract.",
        )
    if amendment.status != ContractStatus.ACTIVE:
        raise DomainValidationError(
            field="amendment",
            code=RevenueError.NOT_ACTIVE,
            message=f"{amendment.reference} must be active before its revenue is accounted for.",
        )
    if ContractModification.objects.filter(amendment=amendment).exists():
        raise DomainValidationError(
            field="amendment",
            code=RevenueError.ALREADY_ACCOUNTED,
            message=f"{amendment.reference} has already been accounted for.",
        )
    original = amendment.original_contract
    if not PerformanceObligation.objects.filter(contract=original).exists():
        raise DomainValidationError(
            field="original_contract",
            code=RevenueError.ORIGINAL_NOT_RECOGNISED,
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
            code=RevenueError.REQUIRED,
            message="Say whether the added goods are priced at SSP and whether the remaining "
            "goods are distinct: the treatment follows from these judgements.",
        )
    effective = effective_date or amendment.start_date
    if effective < original.start_date:
        raise DomainValidationError(
            field="effective_date",
            code=RevenueError.BEFORE_ORIGINAL_START,
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
