"""The invoice lines of usage charges, each with its "why": one line per metric, rate
segment and tier, and the prepayment line of a commitment paid up front."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.usage.models import LedgerEntry
from core.money import format_money, round_money


@dataclass
class Extra:
    """An invoice line the schedule does not have (drawdown, overage, true-up, late usage),
    with the ledger entries that will point at it."""

    description: str
    amount: Decimal
    contract_line_id: int | None
    period: tuple[date, date] | None
    explanation: dict
    entries: list[LedgerEntry] = field(default_factory=list)
    pending_entries: list[int] = field(default_factory=list)  # existing entries to point here
    installments: list[int] = field(default_factory=list)  # installments this line invoices
    quantity: Decimal = Decimal(1)
    unit_price: Decimal | None = None  # the amount when None


@dataclass
class TierLine:
    """One invoice line of a usage charge: a metric's tier (or its single rate) in one rate
    segment of the period, rounded on its own; the usage line's total is their sum."""

    description: str  # appended to the usage line's own description
    quantity: Decimal  # units, or packages for a package price
    unit_price: Decimal
    amount: Decimal
    units: Decimal
    explanation: dict


def tier_lines(priced, currency: str) -> list[TierLine]:
    """The invoice lines of a usage charge: one per metric, rate segment and tier (a
    graduated price crossing tiers), or one saying which tier or package applied (volume,
    package); per-unit usage on one rate and metric stays one plain line."""
    parts = [(segment, part) for segment in priced for part in segment.parts]
    kept = [(s, p) for s, p in parts if p.quantity or p.amount] or parts[:1]
    plain = len(kept) == 1 and kept[0][0].pricing_model == "per_unit" and len(priced) == 1
    lines = []
    for segment, part in kept:
        amount = round_money(part.amount, currency)
        suffix = "" if plain else f" — {segment.metric}, {_tier_text(segment, part)}"
        lines.append(
            TierLine(
                description=suffix,
                quantity=part.quantity if part.packages is None else part.packages,
                unit_price=part.unit_price,
                amount=amount,
                units=part.quantity,
                explanation=_tier_why(segment, part, amount, currency),
            )
        )
    return lines


def prepayment_line(commitment, grant_entry_id: int, contract_line_id: int) -> Extra:
    """The invoice line of a prepaid commitment or credit paid up front: billed with the
    first usage invoice on or after its start; a contract liability until usage draws it
    down (the drawdown lines below it deduct what usage consumed)."""
    currency = commitment.currency
    amount = round_money(commitment.amount, currency)
    return Extra(
        description=f"Prepayment of {commitment.name}, {commitment.starts_on:%d %b %Y} – "
        f"{commitment.ends_on:%d %b %Y}",
        amount=amount,
        contract_line_id=contract_line_id,
        period=(commitment.starts_on, commitment.ends_on),
        explanation={
            "source": f"{commitment.get_kind_display()} paid up front",
            "formula": "the amount granted, invoiced once",
            "commitment": commitment.pk,
            "revenue": "prepayment",
            "steps": [
                ["Granted", format_money(amount, currency)],
                ["Invoiced now", format_money(amount, currency)],
                ["Revenue", "as usage draws it down; what expires unused is breakage"],
            ],
        },
        pending_entries=[grant_entry_id],
    )


def installment_line(installment, of: int, contract_line_id: int) -> Extra:
    """The invoice line of one installment of a commitment: like a prepayment, a contract
    liability until usage draws the commitment down."""
    commitment = installment.commitment
    currency = commitment.currency
    amount = installment.amount
    return Extra(
        description=f"Installment {installment.number} of {of} of {commitment.name}, "
        f"due {installment.due_on:%d %b %Y}",
        amount=amount,
        contract_line_id=contract_line_id,
        period=(commitment.starts_on, commitment.ends_on),
        explanation={
            "source": f"{commitment.get_kind_display()} paid in installments",
            "formula": f"installment {installment.number} of {of} of "
            f"{format_money(commitment.amount, currency)}, due {installment.due_on}",
            "commitment": commitment.pk,
            "installment": installment.pk,
            "revenue": "prepayment",
            "steps": [
                ["Committed", format_money(commitment.amount, currency)],
                [f"Installment {installment.number} of {of}", format_money(amount, currency)],
                ["Usage draws on", "the whole commitment from its start, billed or not"],
                ["Revenue", "as usage draws it down; what expires unused is breakage"],
            ],
        },
        installments=[installment.pk],
    )


def _n(value) -> str:
    return f"{value.normalize():,f}" if value else "0"


def _tier_text(segment, part) -> str:
    if segment.pricing_model == "graduated":
        upper = "and above" if part.tier_to is None else f"to {_n(part.tier_to)}"
        return f"tier {_n(part.tier_from)} {upper}"
    if segment.pricing_model == "volume":
        upper = "and above" if part.tier_to is None else f"to {_n(part.tier_to)}"
        return f"volume tier {_n(part.tier_from)} {upper} (all units)"
    if segment.pricing_model == "package":
        return part.label
    return "per unit"


def _tier_why(segment, part, amount: Decimal, currency: str) -> dict:
    """The "why this amount" of one tier line, step by step."""
    rate = f"{currency} {part.unit_price.normalize():f}"
    period = f"{segment.period[0]} – {segment.period[1]}" if segment.period else ""
    steps = [
        [
            f"Usage of {segment.metric}, {period}",
            f"{_n(segment.quantity)} units (tiers are judged on the period's total)",
        ]
    ]
    model = segment.pricing_model
    if model == "graduated":
        upper = "open" if part.tier_to is None else _n(part.tier_to)
        steps.append(
            [
                "Units in this tier",
                f"units {_n(part.tier_from)} to {upper}: {_n(part.quantity)} of them",
            ]
        )
        text = f"{_n(part.quantity)} × {rate}"
    elif model == "volume":
        upper = "and above" if part.tier_to is None else f"to {_n(part.tier_to)}"
        steps.append(
            [
                "Tier applied",
                f"{_n(segment.quantity)} falls in the tier {_n(part.tier_from)} {upper}: "
                f"every unit at its rate",
            ]
        )
        text = f"{_n(part.quantity)} × {rate}"
    elif model == "package":
        steps.append(["Packages", f"{part.label}, a started package counts whole"])
        text = f"{_n(part.packages)} × {rate}"
    else:
        text = f"{_n(part.quantity)} × {rate}"
    if part.flat_amount:
        text += f" + {currency} {part.flat_amount.normalize():f} flat"
    steps.append(["Charge", f"{text} = {currency} {part.amount.normalize():f}"])
    steps.append(["Rounded once for this line", format_money(amount, currency)])
    return {
        "metric": segment.metric,
        "pricing_model": model,
        "tier": part.as_dict(),
        "period_quantity": str(segment.quantity),
        "exact": str(part.amount),
        "amount": str(amount),
        "steps": steps,
    }
