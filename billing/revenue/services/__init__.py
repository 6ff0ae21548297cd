"""Every write of revenue recognition. Each public service is one durable transaction;
`recognise_on_activation` is the hook that runs inside activate_contract's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from billing.revenue.error_codes import RevenueError
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import is_rounded
from ordermgmt.models import Contract, ContractKind, ContractLine

from ..models import (
    ContractModification,
    Delivery,
    PerformanceObligation,
    RampPolicy,
    RatableMethod,
    RevenueAllocation,
    RevenueContractSettings,
)
from .common import record_exception, resolve_exceptions, settings_for
from .deliveries import deliver
from .inception import plan_inception, recognise_contracts, write_plans
from .modifications import apply_modification, decide_treatment, reestimate

__all__ = [
    "account_for_modification",
    "change_settings",
    "check_settings_change",
    "decide_treatment",
    "plan_inception",
    "recognise_contract_revenue",
    "recognise_contracts",
    "recognise_on_activation",
    "record_delivery",
    "reestimate_variable_consideration",
    "update_revenue_settings",
    "write_plans",
]


def _has_revenue(contract: Contract) -> bool:
    return PerformanceObligation.objects.filter(contract=contract).exists()


def _build(contract: Contract, actor) -> None:
    """Inception, or for an amendment the modification its recorded inputs call for."""
    if contract.kind == ContractKind.AMENDMENT and contract.original_contract_id:
        settings = settings_for(contract)
        if settings.priced_at_ssp is None or settings.remaining_goods_distinct is None:
            raise DomainValidationError(
                field="priced_at_ssp",
                code=RevenueError.MODIFICATION_DECISION_PENDING,
                message=f"{contract.reference} amends {contract.original_contract.reference}: "
                "record whether it is priced at SSP and whether the remaining goods are "
                "distinct to account for it.",
            )
        apply_modification(
            amendment=contract,
            priced_at_ssp=settings.priced_at_ssp,
            remaining_goods_distinct=settings.remaining_goods_distinct,
            effective_date=settings.modification_effective_date,
            actor=actor,
        )
        return
    recognise_contracts([contract], actor=actor)


def recognise_on_activation(*, contract: Contract, actor=None, **kwargs) -> None:
    """ON_ACTIVATION hook. Activation never fails because of revenue: a missing SSP or a
    pending modification decision becomes a RevenueException that Finance clears, then
    rebuilds with `recognise_contract_revenue`."""
    if _has_revenue(contract):
        return
    try:
        with transaction.atomic():
            _build(contract, actor)
    except DomainValidationError as err:
        record_exception(contract, field=err.field, code=err.code, message=err.message)
    else:
        resolve_exceptions(contract)


@transaction.atomic(durable=True)
def recognise_contract_revenue(*, contract: Contract, actor) -> Contract:
    """Build a contract's revenue that activation could not build (raises the reason)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != "active":
        raise DomainValidationError(
            field="contract",
            code=RevenueError.NOT_ACTIVE,
            message=f"{contract.reference} is not active; its revenue is built on activation.",
        )
    if _has_revenue(contract):
        raise DomainValidationError(
            field="contract",
            code=RevenueError.ALREADY_RECOGNISED,
            message=f"The revenue of {contract.reference} is already built.",
        )
    _build(contract, actor)
    resolve_exceptions(contract)
    return contract


@transaction.atomic(durable=True)
def record_delivery(
    *,
    obligation: PerformanceObligation,
    delivered_on: date,
    reference: str,
    actor,
    quantity: Decimal | None = None,
    kind: str = "delivery",
    note: str = "",
) -> Delivery:
    return deliver(
        obligation=obligation,
        delivered_on=delivered_on,
        reference=reference,
        actor=actor,
        quantity=quantity,
        kind=kind,
        note=note,
    )


@transaction.atomic(durable=True)
def account_for_modification(
    *,
    amendment: Contract,
    priced_at_ssp: bool,
    remaining_goods_distinct: bool,
    actor,
    effective_date: date | None = None,
    note: str = "",
) -> ContractModification:
    amendment = Contract.objects.select_for_update().get(pk=amendment.pk)
    modification = apply_modification(
        amendment=amendment,
        priced_at_ssp=priced_at_ssp,
        remaining_goods_distinct=remaining_goods_distinct,
        effective_date=effective_date,
        actor=actor,
        note=note,
    )
    resolve_exceptions(amendment)
    return modification


@transaction.atomic(durable=True)
def reestimate_variable_consideration(
    *, contract: Contract, amount: Decimal, effective_date: date, actor, note: str
) -> RevenueAllocation:
    """A changed estimate is re-allocated on the inception basis and caught up on
    `effective_date` (606-10-32-43). The note (why the estimate changed) is kept on the new
    allocation's explanation."""
    note = (note or "").strip()
    if not note:
        raise DomainValidationError(
            field="note", code=RevenueError.REQUIRED, message="Say why the estimate changed."
        )
    if not is_rounded(amount, contract.currency):
        raise DomainValidationError(
            field="amount",
            code=RevenueError.NOT_ROUNDED,
            message=f"{amount} has more decimals than {contract.currency} allows.",
        )
    if not _has_revenue(contract):
        raise DomainValidationError(
            field="contract",
            code=RevenueError.NOT_RECOGNISED,
            message=f"The revenue of {contract.reference} is not built yet.",
        )
    allocation = reestimate(
        contract=contract, amount=amount, effective_date=effective_date, actor=actor
    )
    allocation.explanation = {**allocation.explanation, "note": note}
    allocation.save(update_fields=["explanation"])
    return allocation


SETTINGS_FIELDS = {
    "ratable_method",
    "ramp_policy",
    "discount_exception",
    "discount_lines",
    "variable_consideration_amount",
    "variable_consideration_method",
    "variable_consideration_line",
    "priced_at_ssp",
    "remaining_goods_distinct",
    "modification_effective_date",
    "notes",
}
# What may still change once the revenue is built (the rest would restate it).
AFTER_INCEPTION = {"notes", "variable_consideration_method"}


@transaction.atomic(durable=True)
def update_revenue_settings(
    *, contract: Contract, actor, reason: str = "", **changes
) -> RevenueContractSettings:
    """Set a contract's revenue choices. They shape the allocation and the schedules, so
    they are set before activation; afterwards a new estimate of variable consideration
    goes through `reestimate_variable_consideration`."""
    return change_settings(contract=contract, actor=actor, reason=reason, **changes)


def check_settings_change(contract: Contract, changes: dict) -> None:
    """Raises the first reason `changes` cannot be applied to the contract's settings;
    writes nothing (the admin's form shows it on the field)."""
    unknown = set(changes) - SETTINGS_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise DomainValidationError(
            field=name,
            code=RevenueError.UNKNOWN_SETTING,
            message=f"{name} is not a revenue setting.",
        )
    if _has_revenue(contract) or ContractModification.objects.filter(amendment=contract).exists():
        locked = sorted(set(changes) - AFTER_INCEPTION)
        if locked:
            raise DomainValidationError(
                field=locked[0],
                code=RevenueError.LOCKED_AFTER_INCEPTION,
                message=f"The revenue of {contract.reference} is built; {locked[0]} can no "
                "longer change (re-estimate variable consideration instead).",
            )
    _check_choice("ratable_method", changes, RatableMethod.values)
    _check_choice("ramp_policy", changes, RampPolicy.values)
    lines = set(ContractLine.objects.filter(contract=contract).values_list("pk", flat=True))
    line = changes.get("variable_consideration_line")
    if line is not None and getattr(line, "pk", line) not in lines:
        raise DomainValidationError(
            field="variable_consideration_line",
            code=RevenueError.NOT_ON_CONTRACT,
            message="That line is on another contract.",
        )
    if "variable_consideration_amount" in changes and not is_rounded(
        Decimal(changes["variable_consideration_amount"]), contract.currency
    ):
        raise DomainValidationError(
            field="variable_consideration_amount",
            code=RevenueError.NOT_ROUNDED,
            message=f"The estimate has more decimals than {contract.currency} allows.",
        )
    current = RevenueContractSettings.objects.filter(contract=contract).first()
    exception = changes.get("discount_exception", current.discount_exception if current else False)
    if "discount_lines" in changes:
        named = [getattr(line, "pk", line) for line in changes["discount_lines"] or []]
    else:
        named = list(current.discount_lines.values_list("pk", flat=True)) if current else []
    if any(i not in lines for i in named):
        raise DomainValidationError(
            field="discount_lines",
            code=RevenueError.NOT_ON_CONTRACT,
            message="Every discount line must be a line of this contract.",
        )
    if exception and not named:
        raise DomainValidationError(
            field="discount_lines",
            code=RevenueError.REQUIRED,
            message="Name the lines the discount belongs to (606-10-32-37).",
        )


def change_settings(
    *, contract: Contract, actor, reason: str = "", **changes
) -> RevenueContractSettings:
    """The body of update_revenue_settings, for a caller that already holds a transaction
    (the admin's change form)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    check_settings_change(contract, changes)
    settings, _ = RevenueContractSettings.objects.get_or_create(contract=contract)
    discount_lines = changes.pop("discount_lines", None)
    for name, value in changes.items():
        setattr(settings, name, value)
    audit_next_save(settings, actor=actor, reason=reason or "revenue.settings_changed")
    settings.save()
    if discount_lines is not None:
        settings.discount_lines.set([getattr(line, "pk", line) for line in discount_lines])
    return settings


def _check_choice(name: str, changes: dict, allowed) -> None:
    if name in changes and changes[name] not in allowed:
        raise DomainValidationError(
            field=name,
            code=RevenueError.INVALID_CHOICE,
            message=f"{changes[name]!r} is not one of {', '.join(allowed)}.",
        )
