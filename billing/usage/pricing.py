"""Pricing of a quantity of usage: per unit, graduated tiers, volume tiers and packages.

Pricing returns the exact amount and the parts that make it up (which tier, how many
units, at what rate); each part becomes an invoice line rounded once with
`core.money.round_money`, and `billed_amount` is the sum of those rounded lines. Tiers
are judged on the quantity of the whole billing period
(per price segment when the rate changes inside the period), as Metronome, Orb and Stripe
do; an `up_to` bound is inclusive.

    graduated, tiers 0-1,000 at 0.10 and above at 0.08, 1,500 units:
        1,000 x 0.10 + 500 x 0.08 = 140.00
    volume, same tiers, 1,500 units: all units at the tier 1,500 falls in:
        1,500 x 0.08 = 120.00
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal

from billing.error_codes import BillingError
from billing.usage.models import PricingModel, UsagePrice
from core.errors import DomainValidationError
from core.money import round_money

ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None
    unit_price: Decimal
    flat_amount: Decimal = ZERO


@dataclass
class PricePart:
    """One tier (or the single rate) of a priced quantity."""

    label: str
    quantity: Decimal
    unit_price: Decimal
    flat_amount: Decimal
    amount: Decimal  # exact
    tier_from: Decimal | None = None  # the tier's bounds (first unit, last unit or open)
    tier_to: Decimal | None = None
    packages: Decimal | None = None

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "tier_from": None if self.tier_from is None else _plain(self.tier_from),
            "tier_to": None if self.tier_to is None else _plain(self.tier_to),
            "quantity": _plain(self.quantity),
            "unit_price": _plain(self.unit_price),
            "flat_amount": _plain(self.flat_amount),
            "amount": _plain(self.amount),
        }


@dataclass
class Priced:
    metric: str
    pricing_model: str
    quantity: Decimal
    amount: Decimal  # exact, not rounded
    parts: list[PricePart] = field(default_factory=list)
    period: tuple[date, date] | None = None

    def as_dict(self) -> dict:
        return {
            "metric": self.metric,
            "pricing_model": self.pricing_model,
            "quantity": _plain(self.quantity),
            "amount": _plain(self.amount),
            "from": str(self.period[0]) if self.period else None,
            "to": str(self.period[1]) if self.period else None,
            "parts": [part.as_dict() for part in self.parts],
        }


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}" if value else "0"


def parse_tiers(raw: Sequence[dict]) -> list[Tier]:
    """Tiers from their stored form, checked: ascending bounds, only the last open."""
    tiers = []
    previous = ZERO
    for index, item in enumerate(raw):
        up_to = item.get("up_to")
        bound = None if up_to in (None, "") else Decimal(str(up_to))
        if bound is None and index != len(raw) - 1:
            raise DomainValidationError(
                field="tiers",
                code=BillingError.OPEN_TIER_NOT_LAST,
                message="Only the last tier may be open.",
            )
        if bound is not None and bound <= previous:
            raise DomainValidationError(
                field="tiers",
                code=BillingError.TIERS_NOT_ASCENDING,
                message=f"Tier {index + 1} must end above {previous}.",
            )
        unit_price = Decimal(str(item.get("unit_price", "0")))
        flat = Decimal(str(item.get("flat_amount", "0")))
        if unit_price < 0 or flat < 0:
            raise DomainValidationError(
                field="tiers",
                code=BillingError.NEGATIVE_PRICE,
                message="Tier prices cannot be negative.",
            )
        tiers.append(Tier(bound, unit_price, flat))
        previous = bound if bound is not None else previous
    if not tiers or tiers[-1].up_to is not None:
        raise DomainValidationError(
            field="tiers",
            code=BillingError.LAST_TIER_NOT_OPEN,
            message="The last tier must be open-ended.",
        )
    return tiers


def _tier_label(lower: Decimal, tier: Tier) -> str:
    upper = "and above" if tier.up_to is None else f"to {_plain(tier.up_to)}"
    return f"{_plain(lower + 1) if lower else '0'} {upper}"


def price_quantity(price: UsagePrice, quantity: Decimal) -> Priced:
    """The exact amount of `quantity` units under one price, with its parts."""
    model = price.pricing_model
    if model == PricingModel.PER_UNIT:
        amount = quantity * price.unit_price
        parts = [PricePart("per unit", quantity, price.unit_price, ZERO, amount)]
    elif model == PricingModel.PACKAGE:
        size = price.package_size
        packages = (quantity / size).to_integral_value(rounding=ROUND_CEILING) if quantity else ZERO
        amount = packages * price.unit_price
        label = f"{_plain(packages)} package(s) of {_plain(size)} units"
        parts = [PricePart(label, quantity, price.unit_price, ZERO, amount, packages=packages)]
    elif model == PricingModel.GRADUATED:
        parts = _graduated(parse_tiers(price.tiers), quantity)
        amount = sum((part.amount for part in parts), ZERO)
    elif model == PricingModel.VOLUME:
        parts = _volume(parse_tiers(price.tiers), quantity)
        amount = sum((part.amount for part in parts), ZERO)
    else:  # pragma: no cover - choices guard this
        raise ValueError(model)
    return Priced(price.metric, model, quantity, amount, parts)


def _graduated(tiers: list[Tier], quantity: Decimal) -> list[PricePart]:
    parts = []
    lower = ZERO
    for tier in tiers:
        if quantity <= lower and parts:
            break
        upper = quantity if tier.up_to is None else min(quantity, tier.up_to)
        in_tier = max(upper - lower, ZERO)
        if in_tier or not parts:
            flat = tier.flat_amount if in_tier else ZERO
            amount = in_tier * tier.unit_price + flat
            parts.append(
                PricePart(
                    _tier_label(lower, tier),
                    in_tier,
                    tier.unit_price,
                    flat,
                    amount,
                    tier_from=lower + 1 if lower else ZERO,
                    tier_to=tier.up_to,
                )
            )
        if tier.up_to is None:
            break
        lower = tier.up_to
    return parts


def _volume(tiers: list[Tier], quantity: Decimal) -> list[PricePart]:
    lower = ZERO
    for tier in tiers:
        if tier.up_to is None or quantity <= tier.up_to:
            amount = quantity * tier.unit_price + (tier.flat_amount if quantity else ZERO)
            label = f"all units at the tier {_tier_label(lower, tier)}"
            flat = tier.flat_amount if quantity else ZERO
            first = lower + 1 if lower else ZERO
            return [PricePart(label, quantity, tier.unit_price, flat, amount, first, tier.up_to)]
        lower = tier.up_to
    raise AssertionError("the last tier is open-ended")  # parse_tiers guarantees it


def billed_amount(priced: Iterable[Priced], currency: str) -> Decimal:
    """What the invoice charges for priced usage: each part (tier, rate segment, metric) is
    an invoice line rounded on its own, and the charge is the sum of those lines."""
    return sum(
        (round_money(part.amount, currency) for segment in priced for part in segment.parts),
        ZERO,
    )


def price_in_force(prices: Sequence[UsagePrice], day: date) -> UsagePrice | None:
    """The price of a metric on a day: the latest start on or before it, unless ended."""
    in_force = [
        price
        for price in prices
        if price.starts_on <= day and (price.ends_on is None or day <= price.ends_on)
    ]
    return max(in_force, key=lambda price: price.starts_on, default=None)


def price_period(
    prices: Sequence[UsagePrice], daily: Iterable[tuple[date, Decimal]]
) -> list[Priced]:
    """Daily quantities of one metric over a billing period, priced per rate segment: a
    ramp inside the period splits it, and each segment is tiered on its own quantity.
    Days with no price in force are not charged (ingestion refuses such events)."""
    segments: dict[int, list[tuple[date, Decimal]]] = {}
    by_pk = {}
    for day, quantity in daily:
        price = price_in_force(prices, day)
        if price is None:
            continue
        by_pk[price.pk] = price
        segments.setdefault(price.pk, []).append((day, quantity))
    result = []
    for pk, days in sorted(segments.items(), key=lambda item: min(d for d, _ in item[1])):
        quantity = sum((q for _, q in days), ZERO)
        priced = price_quantity(by_pk[pk], quantity)
        priced.period = (min(d for d, _ in days), max(d for d, _ in days))
        result.append(priced)
    return result
