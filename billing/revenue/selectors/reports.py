"""The revenue waterfall and the deferred revenue roll-forward (as-of rules: see
billing.revenue.selectors.balances)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from core.dates import month_end, month_start
from core.terms import add_months
from ordermgmt.models import Contract, Product

from ..models import RevenueSchedule
from .balances import (
    ONE_DAY,
    ZERO,
    Scope,
    _schedule_lines,
    contract_balances,
    exact,
    usage_events,
)

# --- Waterfall ------------------------------------------------------------------------------


@dataclass
class WaterfallRow:
    contract_id: int
    reference: str
    account_name: str
    product_id: int
    product: str
    before: Decimal = ZERO
    months: list[Decimal] = field(default_factory=list)
    after: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.before + sum(self.months, ZERO) + self.after


@dataclass
class Waterfall:
    as_of: date
    currency: str
    months: list[date]  # first day of each month shown
    rows: list[WaterfallRow]

    @property
    def recognised_months(self) -> list[bool]:
        """A month is recognised when it has ended by the as-of date."""
        return [month_end(m) <= self.as_of for m in self.months]

    def column_totals(self) -> tuple[Decimal, list[Decimal], Decimal, Decimal]:
        before = sum((r.before for r in self.rows), ZERO)
        months = [sum((r.months[i] for r in self.rows), ZERO) for i in range(len(self.months))]
        after = sum((r.after for r in self.rows), ZERO)
        return before, months, after, before + sum(months, ZERO) + after


def revenue_waterfall(
    *,
    as_of: date,
    currency: str,
    start: date | None = None,
    months: int = 12,
    scope: Scope | None = None,
) -> Waterfall:
    """Revenue by month per contract and product: recognised (months ended by the as-of
    date) and still scheduled (later months), from what was known on the as-of date."""
    start = month_start(start or date(as_of.year, 1, 1))
    columns = [add_months(start, i) for i in range(months)]
    window_end = month_end(columns[-1])
    scope = Scope(
        currency=currency,
        account_id=scope.account_id if scope else None,
        contract_ids=scope.contract_ids if scope else None,
    )
    cells: dict[tuple[int, int], dict] = defaultdict(lambda: defaultdict(Decimal))
    for contract_id, product_id, month, amount in (
        _schedule_lines(as_of, scope)
        .annotate(month=TruncMonth("recognition_date"))
        .values_list("contract_id", "obligation__product_id", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        month = month.date() if hasattr(month, "date") and callable(month.date) else month
        cells[(contract_id, product_id)][month] += exact(amount)
    for event in usage_events(as_of, scope):
        cells[(event.contract_id, event.product_id)][month_start(event.recognition_date)] += (
            event.amount
        )
    contracts = {
        c.pk: c
        for c in Contract.objects.filter(pk__in={k[0] for k in cells}).select_related("account")
    }
    products = {p.pk: p for p in Product.objects.filter(pk__in={k[1] for k in cells})}
    index = {m: i for i, m in enumerate(columns)}
    rows = []
    for (contract_id, product_id), by_month in cells.items():
        contract = contracts[contract_id]
        product = products[product_id]
        row = WaterfallRow(
            contract_id,
            contract.reference,
            contract.account.legal_name,
            product_id,
            f"{product.sku} — {product.name}",
            months=[ZERO] * len(columns),
        )
        for month, amount in by_month.items():
            if month < start:
                row.before += amount
            elif month > window_end:
                row.after += amount
            else:
                row.months[index[month]] += amount
        if row.total != 0 or any(row.months):
            rows.append(row)
    rows.sort(key=lambda r: (r.reference, r.product))
    return Waterfall(as_of, currency, columns, rows)


# --- Deferred revenue roll-forward ------------------------------------------------------------


@dataclass
class RollForwardRow:
    contract_id: int
    reference: str
    account_name: str
    currency: str
    opening: Decimal  # net contract liability (+) or asset (-) at the start
    billed: Decimal
    recognised: Decimal
    refund_change: Decimal  # moved to / from the refund liability
    closing: Decimal
    opening_deferred: Decimal
    opening_unbilled: Decimal
    closing_deferred: Decimal
    closing_unbilled: Decimal

    @property
    def balanced(self) -> bool:
        return self.opening + self.billed - self.recognised - self.refund_change == self.closing


@dataclass
class RollForward:
    start: date
    end: date
    currency: str
    rows: list[RollForwardRow]

    def totals(self) -> dict[str, Decimal]:
        names = [
            "opening",
            "billed",
            "recognised",
            "refund_change",
            "closing",
            "opening_deferred",
            "opening_unbilled",
            "closing_deferred",
            "closing_unbilled",
        ]
        return {n: sum((getattr(r, n) for r in self.rows), ZERO) for n in names}


def deferred_revenue_rollforward(
    *, start: date, end: date, currency: str, scope: Scope | None = None
) -> RollForward:
    """Opening + billed - recognised (- moved to refund liability) = closing, per
    contract, where the balance is the net contract liability (deferred revenue less
    unbilled contract assets)."""
    scope = Scope(
        currency=currency,
        account_id=scope.account_id if scope else None,
        contract_ids=scope.contract_ids if scope else None,
    )
    opening = {b.contract_id: b for b in contract_balances(start - ONE_DAY, scope)}
    closing = {b.contract_id: b for b in contract_balances(end, scope)}
    rows = []
    for contract_id in sorted(set(opening) | set(closing)):
        o = opening.get(contract_id)
        c = closing.get(contract_id)
        ref = c or o
        o_net = -(o.net_position) if o else ZERO
        c_net = -(c.net_position) if c else ZERO
        billed = (c.billed if c else ZERO) - (o.billed if o else ZERO)
        recognised = (c.recognised if c else ZERO) - (o.recognised if o else ZERO)
        refund = (c.refund_liability if c else ZERO) - (o.refund_liability if o else ZERO)
        if not any([o_net, c_net, billed, recognised, refund]):
            continue
        rows.append(
            RollForwardRow(
                contract_id=contract_id,
                reference=ref.reference,
                account_name=ref.account_name,
                currency=ref.currency,
                opening=o_net,
                billed=billed,
                recognised=recognised,
                refund_change=refund,
                closing=c_net,
                opening_deferred=o.deferred_revenue if o else ZERO,
                opening_unbilled=o.unbilled if o else ZERO,
                closing_deferred=c.deferred_revenue if c else ZERO,
                closing_unbilled=c.unbilled if c else ZERO,
            )
        )
    rows.sort(key=lambda r: r.reference)
    return RollForward(start, end, currency, rows)


def currencies_in_use() -> list[str]:
    # Without the model's ordering, which made DISTINCT join and sort every schedule.
    return sorted(RevenueSchedule.objects.order_by().values_list("currency", flat=True).distinct())
