"""What a contract says, read once for revenue: per line its term, what it bills, its SSP.

- Price of a line = what its billing schedule bills over the term (usage aside): the
  transaction price is then exactly what the contract invoices (billing.schedules); for a
  tax-inclusive contract, net of tax as invoiced (`_net_of_tax`).
- SSP of a line = quantity x ProductPrice.standalone_selling_price (contract currency), and
  for a subscription x its length in years (the SSP is per year, like the unit price; a
  ramp line sums its steps). Fixed at inception: stored on ObligationLine, never re-read.
- A product with an SspRange in the contract currency has an uncertain SSP: its obligation
  takes the residual, checked against the range (scaled the same way).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from django.db.models import Sum

from billing.models import (
    BillingScheduleLine,
    InvoiceStatus,
    ScheduleLineKind,
    ScheduleLineStatus,
)
from billing.revenue.error_codes import RevenueError
from billing.schedules.builder import build_schedule
from billing.schedules.periods import billing_periods
from core.errors import DomainValidationError
from core.money import round_money
from ordermgmt.models import Contract, ContractLine, Product, ProductPrice, RevenueType

from .inclusive_net import IncludedRates, Invoiced, net_of
from .models import SspRange

ZERO = Decimal(0)
POINT_IN_TIME_TYPES = {RevenueType.ONE_TIME, RevenueType.PROFESSIONAL_SERVICES}


@lru_cache(maxsize=4096)
def term_years(start: date, end: date, convention: str) -> Fraction:
    """Length in years as billing prices it: whole months plus prorated part-months."""
    periods = billing_periods(
        term_start=start, term_end=end, months=1, grid_start=start, convention=convention
    )
    return sum((p.years for p in periods), Fraction(0))


def _dec(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


@dataclass
class Segment:
    start: date
    end: date
    quantity: Decimal
    billed: Decimal  # what billing bills for this stretch


@dataclass
class LineFact:
    line: ContractLine
    index: int  # position in the contract, for error fields: lines[index]
    product: Product
    start: date
    end: date
    quantity: Decimal
    price: Decimal
    ssp_unit: Decimal | None
    ssp_amount: Decimal
    ssp_range: tuple[Decimal, Decimal] | None  # scaled to the whole line
    segments: list[Segment] = field(default_factory=list)

    @property
    def revenue_type(self) -> str:
        return self.product.revenue_type

    @property
    def label(self) -> str:
        return f"{self.product.sku} — {self.product.name}"

    @property
    def is_usage(self) -> bool:
        return self.revenue_type == RevenueType.USAGE

    @property
    def is_subscription(self) -> bool:
        return self.revenue_type == RevenueType.SUBSCRIPTION

    @property
    def uncertain_ssp(self) -> bool:
        return self.ssp_range is not None


def billed_per_line(contracts: Iterable[Contract]) -> dict[int, tuple[Decimal, dict]]:
    """{line id: (billed over the term, {ramp step id: billed})} from the billing schedules;
    a contract without schedule lines yet is built in memory the same way. A tax-inclusive
    contract's schedule bills gross: its figures are net (see `_net_of_tax`)."""
    contracts = list(contracts)
    result: dict[int, tuple[Decimal, dict]] = {}
    inclusive = {c.pk: c for c in contracts if c.prices_include_tax}
    rows = list(
        BillingScheduleLine.objects.filter(
            contract__in=[c for c in contracts if c.pk not in inclusive]
        )
        .exclude(kind=ScheduleLineKind.USAGE)
        .exclude(status=ScheduleLineStatus.CANCELLED)  # replaced by a change order
        .values_list("contract_id", "contract_line_id", "ramp_step_id")
        .annotate(total=Sum("amount"))
    )
    rows += _net_of_tax(inclusive)
    per_step: dict[int, dict] = defaultdict(dict)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    seen_contracts = set()
    for contract_id, line_id, step_id, total in rows:
        seen_contracts.add(contract_id)
        totals[line_id] += total or ZERO
        if step_id:
            per_step[line_id][step_id] = per_step[line_id].get(step_id, ZERO) + (total or ZERO)
    for contract in contracts:
        if contract.pk in seen_contracts:
            continue
        rates = IncludedRates(contract)
        for draft in build_schedule(contract):
            if draft.amount is None or draft.kind == ScheduleLineKind.USAGE:
                continue
            amount = draft.amount
            if contract.prices_include_tax:
                amount = rates.net(amount, draft.billing_date)
            line_id = draft.contract_line.pk
            totals[line_id] += amount
            if draft.ramp_step is not None:
                steps = per_step[line_id]
                steps[draft.ramp_step.pk] = steps.get(draft.ramp_step.pk, ZERO) + amount
    for line_id, total in totals.items():
        result[line_id] = (total, dict(per_step.get(line_id, {})))
    return result


def _net_of_tax(contracts: dict[int, Contract]) -> list[tuple]:
    """(contract, line, step, net) per schedule line of tax-inclusive contracts: each
    line's net as `inclusive_net` defines it, the invoiced net once its invoice is issued
    (or void: credited), else the estimate on its billing date, which issuing trues up
    (`services.tax_inclusive`)."""
    if not contracts:
        return []
    rates = {pk: IncludedRates(c) for pk, c in contracts.items()}
    rows = (
        BillingScheduleLine.objects.filter(contract__in=list(contracts))
        .exclude(kind=ScheduleLineKind.USAGE)
        .exclude(status=ScheduleLineStatus.CANCELLED)
        .values_list(
            "contract_id",
            "contract_line_id",
            "ramp_step_id",
            "amount",
            "billing_date",
            "invoice_line__amount",
            "invoice_line__tax_amount",
            "invoice_line__invoice__invoice_date",
            "invoice_line__invoice__status",
        )
    )
    result = []
    for contract_id, line_id, step_id, gross, on, net, tax, invoice_date, status in rows:
        invoiced = (
            Invoiced(net, net + (tax or ZERO), invoice_date)
            if status in (InvoiceStatus.ISSUED, InvoiceStatus.VOID)
            else None
        )
        result.append(
            (contract_id, line_id, step_id, net_of(gross, on, rates[contract_id], invoiced))
        )
    return result


def ssp_lookup(currency_products: Iterable[tuple[str, int]]) -> tuple[dict, dict]:
    """({(product, currency): unit SSP}, {(product, currency): (min, max)})."""
    pairs = set(currency_products)
    products = {p for p, _ in pairs}
    prices = {
        (p, c): ssp
        for p, c, ssp in ProductPrice.objects.filter(product_id__in=products).values_list(
            "product_id", "currency", "standalone_selling_price"
        )
    }
    ranges = {
        (p, c): (low, high)
        for p, c, low, high in SspRange.objects.filter(product_id__in=products).values_list(
            "product_id", "currency", "minimum", "maximum"
        )
    }
    return prices, ranges


def contract_line_facts(
    contract: Contract,
    *,
    lines: list[ContractLine] | None = None,
    billed: dict | None = None,
    prices: dict | None = None,
    ranges: dict | None = None,
) -> list[LineFact]:
    """Facts of every line of the contract. The bulk path passes what it read in bulk."""
    if lines is None:
        lines = list(contract.lines.select_related("product").prefetch_related("ramp_steps"))
    if billed is None:
        billed = billed_per_line([contract])
    if prices is None or ranges is None:
        prices, ranges = ssp_lookup((line.product_id, contract.currency) for line in lines)
    currency = contract.currency
    facts = []
    for index, line in enumerate(lines):
        product = line.product
        total, per_step = billed.get(line.pk, (ZERO, {}))
        steps = list(line.ramp_steps.all())
        served = (
            max(line.service_start or contract.start_date, contract.start_date),
            min(line.service_end or contract.end_date, contract.end_date),
        )
        # Ramp steps are clipped to the days the line serves, as billing clips them.
        segments = [
            Segment(
                max(s.start_date, served[0]),
                min(s.end_date, served[1]),
                s.quantity,
                per_step.get(s.pk, ZERO),
            )
            for s in steps
            if s.start_date <= served[1] and s.end_date >= served[0]
        ] or [Segment(served[0], served[1], line.quantity, total)]  # a change order may
        # have ended or started the line mid-term
        start = min(s.start for s in segments)
        end = max(s.end for s in segments)
        key = (product.pk, currency)
        ssp_range = ranges.get(key)
        ssp_unit = prices.get(key)
        if product.revenue_type == RevenueType.USAGE:
            scale = ZERO
        elif product.revenue_type == RevenueType.SUBSCRIPTION:
            scale = sum(
                (
                    s.quantity * _dec(term_years(s.start, s.end, contract.day_count_convention))
                    for s in segments
                ),
                ZERO,
            )
        else:
            scale = line.quantity
        if ssp_range is not None:
            ssp_amount = ZERO
            ssp_range = (
                round_money(ssp_range[0] * scale, currency),
                round_money(ssp_range[1] * scale, currency),
            )
        elif product.revenue_type == RevenueType.USAGE:
            ssp_amount = ZERO
        elif ssp_unit is None:
            raise DomainValidationError(
                field=f"lines[{index}].product",
                code=RevenueError.MISSING_SSP,
                message=f"{product.sku} — {product.name} has no standalone selling price in "
                f"{currency}: add one to the product's prices before recognising revenue.",
            )
        else:
            ssp_amount = round_money(ssp_unit * scale, currency)
        facts.append(
            LineFact(
                line=line,
                index=index,
                product=product,
                start=start,
                end=end,
                quantity=line.quantity,
                price=total,
                ssp_unit=ssp_unit if ssp_range is None else None,
                ssp_amount=ssp_amount,
                ssp_range=ssp_range,
                segments=segments,
            )
        )
    return facts
