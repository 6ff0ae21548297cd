"""From a contract to its billing schedule lines, each with where its amount comes from.

Pricing rule: a subscription line (or each ramp step of it) is worth its net annual
price times its length in years, rounded once; that total is split over its billing
periods by their length (core.money.split: parts add back exactly, the remainder on
the last period). So the schedule of a contract adds back exactly to its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from billing.schedules.periods import (
    MONTHS_PER_PERIOD,
    BillingPeriod,
    billing_periods,
    grid_anchor,
    to_decimal,
)
from core.money import format_money, round_money, split
from ordermgmt.models import Contract, ContractLine, RampStep, RevenueType

ONE_TIME_TYPES = {RevenueType.ONE_TIME, RevenueType.PROFESSIONAL_SERVICES}


@dataclass
class ScheduleDraft:
    contract_line: ContractLine
    kind: str
    sequence: int
    period_start: date
    period_end: date
    billing_date: date
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal | None
    explanation: dict = field(default_factory=dict)
    ramp_step: RampStep | None = None


@dataclass
class Segment:
    """A stretch of a line at one quantity and price: the whole line, or one ramp step."""

    start: date
    end: date
    quantity: Decimal
    unit_price: Decimal
    ramp_step: RampStep | None


def net_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return unit_price * (Decimal(100) - discount_percent) / Decimal(100)


def grid_for(contract: Contract) -> tuple[int | None, date]:
    """Billing period length and grid anchor. An amendment bills on the grid of the
    contract it amends, so added seats are co-termed to that contract's periods."""
    source = contract.original_contract if contract.kind == "amendment" else None
    source = source or contract
    months = MONTHS_PER_PERIOD.get(source.billing_frequency)
    return months, grid_anchor(source.start_date, source.billing_anchor_day)


def segments(line: ContractLine, contract: Contract) -> list[Segment]:
    """The stretches a line serves, clipped to its service window (a change order ends a
    line the day before its new terms start, and starts the line that carries them)."""
    start = max(line.service_start or contract.start_date, contract.start_date)
    end = min(line.service_end or contract.end_date, contract.end_date)
    if end < start:
        return []
    steps = list(line.ramp_steps.all())
    if not steps:
        return [Segment(start, end, line.quantity, line.unit_price, None)]
    return [
        Segment(max(s.start_date, start), min(s.end_date, end), s.quantity, s.unit_price, s)
        for s in steps
        if s.start_date <= end and s.end_date >= start
    ]


def build_schedule(contract: Contract) -> list[ScheduleDraft]:
    drafts: list[ScheduleDraft] = []
    for line in contract.lines.select_related("product").prefetch_related("ramp_steps"):
        drafts.extend(build_line_schedule(contract, line))
    return drafts


def build_line_schedule(contract: Contract, line: ContractLine) -> list[ScheduleDraft]:
    revenue_type = line.product.revenue_type
    if revenue_type in ONE_TIME_TYPES:
        return [_one_time(contract, line)]
    if revenue_type == RevenueType.USAGE:
        return _usage(contract, line)
    if contract.billing_frequency == "custom":
        return _installments(contract, line)
    return _recurring(contract, line)


def _one_time(contract: Contract, line: ContractLine) -> ScheduleDraft:
    net_unit = net_price(line.unit_price, line.discount_percent)
    amount = round_money(line.quantity * net_unit, contract.currency)
    return ScheduleDraft(
        contract_line=line,
        kind="one_time",
        sequence=1,
        period_start=contract.start_date,
        period_end=contract.start_date,
        billing_date=contract.start_date,
        quantity=line.quantity,
        unit_price=net_unit,
        amount=amount,
        explanation={
            "source": "one-time fee, billed at the contract start",
            "formula": (
                f"{_qty(line.quantity)} × {_price(line.unit_price, contract)}"
                f"{_discount(line.discount_percent)} = {format_money(amount, contract.currency)}"
            ),
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "discount_percent": str(line.discount_percent),
            "exact": str(line.quantity * net_unit),
            "amount": str(amount),
        },
    )


def _billing_date(contract: Contract, period: BillingPeriod) -> date:
    if contract.billing_timing == "arrears":
        return period.end + timedelta(days=1)
    return period.start


def _recurring(contract: Contract, line: ContractLine) -> list[ScheduleDraft]:
    months, grid_start = grid_for(contract)
    drafts = []
    sequence = 0
    for segment in segments(line, contract):
        periods = billing_periods(
            term_start=segment.start,
            term_end=segment.end,
            months=months,
            grid_start=grid_start,
            convention=contract.day_count_convention,
        )
        annual_net = segment.quantity * net_price(segment.unit_price, line.discount_percent)
        years = sum((p.years for p in periods), Fraction(0))
        segment_total = round_money(annual_net * to_decimal(years), contract.currency)
        amounts = split(segment_total, [to_decimal(p.years) for p in periods], contract.currency)
        for index, (period, amount) in enumerate(zip(periods, amounts, strict=True)):
            sequence += 1
            exact = annual_net * to_decimal(period.years)
            drafts.append(
                ScheduleDraft(
                    contract_line=line,
                    kind="recurring",
                    sequence=sequence,
                    period_start=period.start,
                    period_end=period.end,
                    billing_date=_billing_date(contract, period),
                    quantity=segment.quantity,
                    unit_price=net_price(segment.unit_price, line.discount_percent),
                    amount=amount,
                    ramp_step=segment.ramp_step,
                    explanation=_recurring_explanation(
                        contract,
                        line,
                        segment,
                        period,
                        annual_net,
                        exact,
                        amount,
                        segment_total,
                        last=index == len(periods) - 1,
                    ),
                )
            )
    return drafts


def _recurring_explanation(
    contract, line, segment, period, annual_net, exact, amount, segment_total, *, last: bool
) -> dict:
    currency = contract.currency
    share = f"{period.months}/12 year"
    if period.is_partial:
        share += f" × {period.days}/{period.period_days} days"
    explanation = {
        "source": "ramp step" if segment.ramp_step else "subscription",
        "period": f"{period.start} – {period.end}",
        "formula": (
            f"{_qty(segment.quantity)} × {_price(segment.unit_price, contract)}"
            f"{_discount(line.discount_percent)} = {format_money(annual_net, currency)} a year"
            f" × {share}"
        ),
        "annual_net": str(annual_net),
        "period_months": period.months,
        "prorated": period.is_partial,
        "day_count": period.convention_label if period.is_partial else None,
        "convention": period.convention_name,
        "days": period.days,
        "period_days": period.period_days,
        "exact": str(exact.quantize(Decimal("0.000001"))),
        "amount": str(amount),
        "line_total": str(segment_total),
    }
    if segment.ramp_step:
        explanation["ramp_step"] = f"{segment.start} – {segment.end}"
    if last and round_money(exact, currency) != amount:
        explanation["rounding"] = (
            f"Last period takes the rounding remainder so the periods add up to "
            f"{format_money(segment_total, currency)}."
        )
    return explanation


def _installments(contract: Contract, line: ContractLine) -> list[ScheduleDraft]:
    periods = billing_periods(
        term_start=contract.start_date,
        term_end=contract.end_date,
        months=None,
        grid_start=contract.start_date,
        convention=contract.day_count_convention,
    )
    annual_net = line.quantity * net_price(line.unit_price, line.discount_percent)
    total = round_money(annual_net * to_decimal(periods[0].years), contract.currency)
    plan = sorted(contract.custom_billing_plan, key=lambda i: i["billing_date"])
    percents = [Decimal(str(item["percent"])) for item in plan]
    amounts = split(total, percents, contract.currency)
    return [
        ScheduleDraft(
            contract_line=line,
            kind="installment",
            sequence=index + 1,
            period_start=contract.start_date,
            period_end=contract.end_date,
            billing_date=date.fromisoformat(str(item["billing_date"])),
            quantity=line.quantity,
            unit_price=net_price(line.unit_price, line.discount_percent),
            amount=amount,
            explanation={
                "source": f"custom installment {index + 1} of {len(plan)}",
                "formula": f"{percent}% of {format_money(total, contract.currency)} (whole term)",
                "amount": str(amount),
                "line_total": str(total),
            },
        )
        for index, (item, percent, amount) in enumerate(zip(plan, percents, amounts, strict=True))
    ]


def _usage(contract: Contract, line: ContractLine) -> list[ScheduleDraft]:
    months, grid_start = grid_for(contract)
    periods = billing_periods(
        term_start=contract.start_date,
        term_end=contract.end_date,
        months=months or 1,
        grid_start=grid_start,
        convention=contract.day_count_convention,
    )
    net_unit = net_price(line.unit_price, line.discount_percent)
    return [
        ScheduleDraft(
            contract_line=line,
            kind="usage",
            sequence=index + 1,
            period_start=period.start,
            period_end=period.end,
            billing_date=period.end + timedelta(days=1),  # usage is always in arrears
            quantity=Decimal(0),
            unit_price=net_unit,
            amount=None,
            explanation={
                "source": "usage in arrears",
                "formula": f"recorded usage {period.start} – {period.end} × "
                f"{_price(net_unit, contract)}",
            },
        )
        for index, period in enumerate(periods)
    ]


def _qty(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"


def _price(price: Decimal, contract: Contract) -> str:
    return (
        format_money(price, contract.currency)
        if round_money(price, contract.currency) == price
        else f"{contract.currency} {price.normalize():f}"
    )


def _discount(discount: Decimal) -> str:
    return f" × (1 − {discount.normalize():f}%)" if discount else ""
