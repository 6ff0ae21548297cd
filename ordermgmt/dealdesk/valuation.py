"""What a contract is worth, line by line, as the deal desk rules and pages see it.

Definitions (the same ones the dashboard prints):

- Term in years: whole calendar months from the start date / 12, plus the days left
  over / 365. 2026-01-01 to 2026-12-31 is exactly 1 year.
- A subscription line (or each of its ramp steps) is worth quantity x net unit price
  (the unit price is per year) x its length in years, rounded once per line or step.
  One-time and professional-services lines are worth quantity x net unit price.
  Usage lines are billed on actuals and carry no committed value.
- TCV (total contract value) is the sum of those rounded amounts over the term.
  ACV (annual contract value) is TCV / term in years, rounded.
- List value is the same computation at the product's list price in the contract
  currency (a line whose product has no list price counts at its own unit price),
  so a discount is measured against list, not only the discount typed on the line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from core.money import round_money
from core.terms import add_months
from ordermgmt.models import Contract, ContractLine, ProductPrice, RevenueType

HUNDRED = Decimal(100)
ONE_TIME_TYPES = {RevenueType.ONE_TIME, RevenueType.PROFESSIONAL_SERVICES}


def term_years(start: date, end: date) -> Decimal:
    """Whole months / 12 plus leftover days / 365, for the inclusive period start..end."""
    stop = end + timedelta(days=1)
    months = (stop.year - start.year) * 12 + (stop.month - start.month)
    while months > 0 and add_months(start, months) > stop:
        months -= 1
    rest_days = (stop - add_months(start, months)).days
    return Decimal(months) / 12 + Decimal(rest_days) / 365


def net_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return unit_price * (HUNDRED - discount_percent) / HUNDRED


@dataclass(frozen=True)
class Segment:
    """A stretch of a line at one quantity and price: the whole term or one ramp step."""

    start: date
    end: date
    quantity: Decimal
    unit_price: Decimal
    net_unit_price: Decimal
    years: Decimal
    value: Decimal  # rounded, in the contract currency
    list_value: Decimal  # rounded, at list price


@dataclass
class LineFacts:
    number: int  # 1-based, in the contract's line order
    line: ContractLine
    sku: str
    revenue_type: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    net_unit_price: Decimal
    has_price: bool  # a ProductPrice row exists in the contract currency
    list_price: Decimal | None
    floor_price: Decimal | None
    segments: list[Segment] = field(default_factory=list)
    is_ramp: bool = False
    committed: bool = True  # False for usage: no value until used

    @property
    def value(self) -> Decimal:
        return sum((s.value for s in self.segments), Decimal(0)) if self.committed else Decimal(0)

    @property
    def list_value(self) -> Decimal:
        if not self.committed:
            return Decimal(0)
        return sum((s.list_value for s in self.segments), Decimal(0))

    @property
    def effective_discount_percent(self) -> Decimal:
        """Discount against list over the whole line (ramp steps weighted by value)."""
        reference = self.list_price if self.list_price is not None else self.unit_price
        listed = sum((s.quantity * reference * s.years for s in self.segments), Decimal(0))
        net = sum((s.quantity * s.net_unit_price * s.years for s in self.segments), Decimal(0))
        if listed <= 0:
            return Decimal(0)
        return (1 - net / listed) * HUNDRED

    @property
    def lowest_net_unit_price(self) -> Decimal:
        return min(s.net_unit_price for s in self.segments)


@dataclass
class DealFacts:
    contract: Contract
    lines: list[LineFacts]
    term_years: Decimal
    tcv: Decimal
    acv: Decimal
    list_tcv: Decimal

    @property
    def currency(self) -> str:
        return self.contract.currency

    @property
    def total_discount_percent(self) -> Decimal:
        if self.list_tcv <= 0:
            return Decimal(0)
        return (1 - self.tcv / self.list_tcv) * HUNDRED

    @property
    def ramp_lines(self) -> list[LineFacts]:
        return [line for line in self.lines if line.is_ramp]


def _segments(
    line: ContractLine, contract: Contract, list_price: Decimal | None, one_time: bool
) -> list[Segment]:
    currency = contract.currency
    steps = list(line.ramp_steps.all())
    stretches = [(s.start_date, s.end_date, s.quantity, s.unit_price) for s in steps] or [
        (contract.start_date, contract.end_date, line.quantity, line.unit_price)
    ]
    segments = []
    for start, end, quantity, unit_price in stretches:
        years = Decimal(1) if one_time else term_years(start, end)
        net_unit = net_price(unit_price, line.discount_percent)
        reference = list_price if list_price is not None else unit_price
        segments.append(
            Segment(
                start=start,
                end=end,
                quantity=quantity,
                unit_price=unit_price,
                net_unit_price=net_unit,
                years=years,
                value=round_money(quantity * net_unit * years, currency),
                list_value=round_money(quantity * reference * years, currency),
            )
        )
    return segments


def deal_facts(contract: Contract) -> DealFacts:
    """Reads the contract's lines, ramp steps and prices; computes value and discounts."""
    lines = list(
        contract.lines.select_related("product").prefetch_related("ramp_steps").order_by("id")
    )
    prices = {
        p.product_id: p
        for p in ProductPrice.objects.filter(
            product_id__in=[line.product_id for line in lines], currency=contract.currency
        )
    }
    facts = []
    for number, line in enumerate(lines, start=1):
        price = prices.get(line.product_id)
        list_price = price.list_price if price else None
        revenue_type = line.product.revenue_type
        one_time = revenue_type in ONE_TIME_TYPES
        facts.append(
            LineFacts(
                number=number,
                line=line,
                sku=line.product.sku,
                revenue_type=revenue_type,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_percent=line.discount_percent,
                net_unit_price=net_price(line.unit_price, line.discount_percent),
                has_price=price is not None,
                list_price=list_price,
                floor_price=price.floor_price if price else None,
                segments=_segments(line, contract, list_price, one_time),
                is_ramp=bool(line.ramp_steps.all()),
                committed=revenue_type != RevenueType.USAGE,
            )
        )
    years = term_years(contract.start_date, contract.end_date)
    tcv = sum((f.value for f in facts), Decimal(0))
    acv = round_money(tcv / years, contract.currency) if years > 0 else tcv
    return DealFacts(
        contract=contract,
        lines=facts,
        term_years=years,
        tcv=tcv,
        acv=acv,
        list_tcv=sum((f.list_value for f in facts), Decimal(0)),
    )
