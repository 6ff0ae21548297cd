"""Allocation of the transaction price to performance obligations (ASC 606-10-32-28 to
32-41); see the package docstring."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from billing.revenue.error_codes import RevenueError
from core.errors import DomainValidationError
from core.money import format_money, round_money, split

from .progress import ZERO

# --- Allocation -------------------------------------------------------------------------


@dataclass
class AllocationTarget:
    key: Hashable
    label: str  # names the product in errors: "SKU-1 — Platform"
    ssp: Decimal | None  # None: uncertain, takes the residual
    price: Decimal = ZERO  # what the contract states for it (used by the 32-37 discount)
    ssp_range: tuple[Decimal, Decimal] | None = None  # observed range, whole obligation


@dataclass
class AllocationResult:
    amounts: list[Decimal]
    weights: list[Decimal]  # the SSP basis each amount was split by
    method: str
    residual: Decimal | None = None
    discount: Decimal | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)


def allocate(
    *,
    amount: Decimal,
    targets: Sequence[AllocationTarget],
    currency: str,
    discount_keys: set | None = None,
    variable_consideration: Decimal = ZERO,
    variable_key: Hashable | None = None,
) -> AllocationResult:
    """Allocate `amount` (fixed consideration) plus `variable_consideration` over the
    targets. The result's amounts always add back to amount + variable consideration."""
    if not targets:
        raise DomainValidationError(
            field="lines",
            code=RevenueError.NO_OBLIGATIONS,
            message="The contract has no obligation.",
        )
    keys = [t.key for t in targets]
    amount = round_money(amount, currency)
    variable = round_money(variable_consideration, currency)
    targeted = variable_key is not None and variable != 0
    if variable_key is not None and variable_key not in keys:
        raise DomainValidationError(
            field="variable_consideration_line",
            code=RevenueError.NOT_AN_OBLIGATION,
            message="The variable consideration line is not one of the contract's obligations.",
        )
    base = amount if targeted else amount + variable
    if base < 0:
        raise DomainValidationError(
            field="variable_consideration_amount",
            code=RevenueError.NEGATIVE_TRANSACTION_PRICE,
            message=f"The transaction price would be {format_money(base, currency)}.",
        )
    if discount_keys is not None:
        unknown = set(discount_keys) - set(keys)
        if not discount_keys or unknown:
            raise DomainValidationError(
                field="discount_lines",
                code=RevenueError.INVALID_DISCOUNT_LINES,
                message="Name at least one of the contract's own lines for the 32-37 discount.",
            )
    residual_targets = [t for t in targets if t.ssp is None]
    if len(residual_targets) > 1:
        raise DomainValidationError(
            field="ssp",
            code=RevenueError.SEVERAL_UNCERTAIN_SSPS,
            message="Only one obligation can take the residual; "
            + ", ".join(t.label for t in residual_targets)
            + " all have an uncertain SSP.",
        )
    if residual_targets:
        result = _allocate_residual(base, targets, residual_targets[0], currency, discount_keys)
    elif discount_keys is not None:
        result = _allocate_discount_exception(base, targets, currency, discount_keys)
    else:
        weights = [round_money(t.ssp, currency) for t in targets]
        if sum(weights) <= 0:
            raise DomainValidationError(
                field="ssp",
                code=RevenueError.ZERO_SSP,
                message="The obligations' standalone selling prices add up to zero.",
            )
        result = AllocationResult(split(base, weights, currency), weights, "relative_ssp")
    if targeted:
        index = keys.index(variable_key)
        result.amounts[index] += variable
        if result.amounts[index] < 0:
            raise DomainValidationError(
                field="variable_consideration_amount",
                code=RevenueError.NEGATIVE_ALLOCATION,
                message=f"The variable consideration would leave {targets[index].label} "
                f"below zero ({format_money(result.amounts[index], currency)}).",
            )
        result.notes.append(
            f"Variable consideration {format_money(variable, currency)} allocated entirely "
            f"to {targets[index].label} (606-10-32-40)."
        )
    return result


def _allocate_discount_exception(base, targets, currency, discount_keys) -> AllocationResult:
    ssps = [round_money(t.ssp, currency) for t in targets]
    discount = sum(ssps) - base
    if discount <= 0:
        raise DomainValidationError(
            field="discount_exception",
            code=RevenueError.NO_DISCOUNT,
            message="The contract is not sold at a discount to the sum of its SSPs, so there "
            "is no discount to place on particular lines.",
        )
    named = [i for i, t in enumerate(targets) if t.key in discount_keys]
    others = [i for i in range(len(targets)) if i not in named]
    amounts: list[Decimal] = [ZERO] * len(targets)
    for i in others:
        amounts[i] = ssps[i]
    remaining = base - sum((amounts[i] for i in others), ZERO)
    named_ssp = [ssps[i] for i in named]
    if remaining < 0 or sum(named_ssp) <= 0:
        raise DomainValidationError(
            field="discount_lines",
            code=RevenueError.DISCOUNT_EXCEEDS_SSP,
            message=f"The discount of {format_money(discount, currency)} is larger than the "
            "SSP of the lines it is placed on.",
        )
    for i, part in zip(named, split(remaining, named_ssp, currency), strict=True):
        amounts[i] = part
    return AllocationResult(amounts, ssps, "discount_exception", discount=discount)


def _allocate_residual(base, targets, residual, currency, discount_keys) -> AllocationResult:
    observable = [t for t in targets if t is not residual]
    if not observable:
        raise DomainValidationError(
            field="ssp",
            code=RevenueError.NO_OBSERVABLE_SSP,
            message=f"{residual.label} takes the residual, but no other obligation has an "
            "observable SSP.",
        )
    weights: dict[Hashable, Decimal] = {t.key: round_money(t.ssp, currency) for t in observable}
    discount = None
    if discount_keys:
        named = [t for t in observable if t.key in discount_keys]
        # The discount evident in the contract's own prices of the named lines.
        discount = sum((max(t.ssp - t.price, ZERO) for t in named), ZERO)
        discount = round_money(discount, currency)
        named_ssp = [weights[t.key] for t in named]
        if named and sum(named_ssp) > 0:
            reduced = split(sum(named_ssp) - discount, named_ssp, currency)
            for t, value in zip(named, reduced, strict=True):
                weights[t.key] = value
    residual_amount = base - sum(weights.values(), ZERO)
    low, high = residual.ssp_range or (None, None)
    if residual.ssp_range is None or not (low <= residual_amount <= high):
        range_text = (
            f"{format_money(low, currency)}–{format_money(high, currency)}"
            if residual.ssp_range
            else "no observed range"
        )
        raise DomainValidationError(
            field="ssp",
            code=RevenueError.RESIDUAL_OUTSIDE_RANGE,
            message=f"The residual for {residual.label} is "
            f"{format_money(residual_amount, currency)}, outside its observed SSP range "
            f"({range_text}): the residual approach cannot be used.",
        )
    weights[residual.key] = residual_amount
    ordered = [weights[t.key] for t in targets]
    amounts = split(base, ordered, currency) if sum(ordered) > 0 else [ZERO] * len(ordered)
    return AllocationResult(
        amounts,
        ordered,
        "residual",
        residual=residual_amount,
        discount=discount,
        notes=[f"Residual {format_money(residual_amount, currency)} to {residual.label}."],
    )
