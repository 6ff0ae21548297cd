"""The revenue reports one page at a time, for the pages and the APIs (issue 20).

The figures are those of `revenue_waterfall`, `contract_balances` and
`deferred_revenue_rollforward` (the exports still use those for every row):
- waterfall: one grouped query sums each (contract, product) by month bucket, filters
  and orders the rows and returns one page; the totals and the row count come from one
  more query over the same groups. A book with usage revenue (computed from usage records
  on read) takes the full report and slices it, so that its rows stay identical.
- balances and roll-forward: on PostgreSQL one statement per page ranks, totals and
  pages the per-contract figures in SQL (`positions_sql.py`, from the same grouped
  querysets); on SQLite they come from the grouped queries of `recognised_by_contract`
  and `billed_by_contract` (one small tuple per contract), totalled and ranked in
  Python. Either way only the page's contracts are loaded and built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Collate

from core.dates import month_start
from core.terms import add_months
from ordermgmt.models import Contract, Product

from ..models import PerformanceObligation, RevenueAllocation
from .balances import (
    ONE_DAY,
    ZERO,
    ContractBalance,
    Scope,
    _schedule_lines,
    allocations_as_of,
    billed_by_contract,
    exact,
    recognised_by_contract,
    usage_events,
)
from .positions_sql import (
    balances_in_sql,
    rollforward_in_sql,
    waterfall_rows_in_sql,
)
from .reports import (
    RollForwardRow,
    Waterfall,
    WaterfallRow,
    revenue_waterfall,
)
from .waterfall_columns import bucket_sums, column_totals, waterfall_groups

DEFAULT_PAGE_SIZE = 100
EVERY_CONTRACT = Scope()
MAX_PAGE_SIZE = 500


@dataclass
class Paging:
    page: int
    page_size: int
    count: int

    @property
    def pages(self) -> int:
        return max(-(-self.count // self.page_size), 1)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    # What templates/billing/_pagination.html reads from a Django Page.
    @property
    def number(self) -> int:
        return self.page

    @property
    def num_pages(self) -> int:
        return self.pages

    @property
    def paginator(self) -> Paging:
        return self

    def has_other_pages(self) -> bool:
        return self.pages > 1

    def has_previous(self) -> bool:
        return self.page > 1

    def has_next(self) -> bool:
        return self.page < self.pages

    def previous_page_number(self) -> int:
        return self.page - 1

    def next_page_number(self) -> int:
        return self.page + 1


def paging(page: int | None, page_size: int | None, count: int) -> Paging:
    """Page numbers from 1; a page past the end shows the last one."""
    size = min(max(page_size or DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    last = max(-(-count // size), 1)
    return Paging(min(max(page or 1, 1), last), size, count)


def _requested(page: int | None, page_size: int | None) -> tuple[int, int]:
    """(page size, offset) asked for, before the count clamps the page to the last one."""
    size = min(max(page_size or DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE)
    return size, (max(page or 1, 1) - 1) * size


def _ordered_text(name: str):
    """Sort as Python sorts strings (by code point), as the full reports do."""
    return Collate(name, "C") if connection.vendor == "postgresql" else name


# --- Waterfall ------------------------------------------------------------------------------


@dataclass
class WaterfallPage:
    report: Waterfall  # rows: this page only
    paging: Paging
    before: object = ZERO
    columns: list = field(default_factory=list)
    after: object = ZERO

    @property
    def total(self):
        return self.before + sum(self.columns, ZERO) + self.after


def waterfall_page(
    *,
    as_of: date,
    currency: str,
    start: date | None = None,
    months: int = 12,
    page: int | None = 1,
    page_size: int | None = DEFAULT_PAGE_SIZE,
    rows: bool = True,
) -> WaterfallPage:
    """One page of `revenue_waterfall` (rows by contract reference, then product) and its
    column totals over every row. `rows=False`: the totals alone."""
    start = month_start(start or date(as_of.year, 1, 1))
    columns = [add_months(start, i) for i in range(months)]
    scope = Scope(currency=currency)
    if usage_events(as_of, scope):
        return _sliced_waterfall(as_of, currency, start, months, page, page_size, rows)
    shown = ~Q(total=0)
    for i in range(months):
        shown |= ~Q(**{f"m{i}": 0})
    names = ["before", *[f"m{i}" for i in range(months)], "after"]
    if connection.vendor == "postgresql":
        size, offset = _requested(page, page_size)
        shown_rows = waterfall_rows_in_sql(
            as_of=as_of,
            currency=currency,
            first=start,
            last=columns[-1],
            offset=offset,
            size=size,
            rows=rows,
        )
        pages = paging(page, page_size, shown_rows.count)
        sums = column_totals(as_of, currency, start, columns, shown_rows)
        found = waterfall_groups(as_of, currency, start, columns, shown_rows.keys)
    else:
        groups = (
            _schedule_lines(as_of, scope)
            .values("contract_id", product_id=F("obligation__product_id"))
            .annotate(**bucket_sums("recognition_date", start, columns))
            .filter(shown)
        )
        summary = groups.order_by().aggregate(
            rows=Count("contract_id"), **{f"sum_{n}": Sum(n) for n in names}
        )
        pages = paging(page, page_size, summary["rows"])
        sums, found = {n: summary[f"sum_{n}"] for n in names}, []
        if rows and pages.count:
            found = list(
                groups.order_by(
                    "contract_id",  # the reference is CTR-<id, six digits>
                    _ordered_text("obligation__product__sku"),
                    _ordered_text("obligation__product__name"),
                    "product_id",
                )[pages.offset : pages.offset + pages.page_size]
            )
    result = WaterfallPage(
        Waterfall(as_of, currency, columns, []),
        pages,
        exact(sums["before"]),
        [exact(sums[f"m{i}"]) for i in range(months)],
        exact(sums["after"]),
    )
    if not rows or not pages.count:
        return result
    contracts = Contract.objects.select_related("account").in_bulk(
        {g["contract_id"] for g in found}
    )
    products = Product.objects.in_bulk({g["product_id"] for g in found})
    for g in found:
        contract = contracts[g["contract_id"]]
        product = products[g["product_id"]]
        result.report.rows.append(
            WaterfallRow(
                contract.pk,
                contract.reference,
                contract.account.legal_name,
                product.pk,
                f"{product.sku} — {product.name}",
                before=exact(g["before"]),
                months=[exact(g[f"m{i}"]) for i in range(months)],
                after=exact(g["after"]),
            )
        )
    return result


def _sliced_waterfall(as_of, currency, start, months, page, page_size, rows) -> WaterfallPage:
    full = revenue_waterfall(as_of=as_of, currency=currency, start=start, months=months)
    before, columns, after, _ = full.column_totals()
    pages = paging(page, page_size, len(full.rows))
    shown = full.rows[pages.offset : pages.offset + pages.page_size] if rows else []
    return WaterfallPage(
        Waterfall(as_of, currency, full.months, shown), pages, before, columns, after
    )


# --- Contract balances ----------------------------------------------------------------------

BALANCE_TOTALS = [
    "billed",
    "recognised",
    "refund_liability",
    "contract_asset",
    "contract_liability",
]


@dataclass(frozen=True)
class Figures:
    """A contract's figures as of a date, without its names (built for the page only)."""

    billed: object
    usage_billed: object
    recognised: object
    refund_liability: object = ZERO

    @property
    def net_position(self):
        return self.recognised - self.billed + self.refund_liability


def balance_figures(as_of: date, scope: Scope = EVERY_CONTRACT) -> dict[int, Figures]:
    """{accounting contract: figures}, the set of contracts and the figures of
    `contract_balances`, from its grouped queries."""
    recognised = recognised_by_contract(as_of, scope)
    billed = billed_by_contract(as_of, scope)
    ids = set(recognised) | set(billed)
    if scope.contract_ids is not None:
        ids &= set(scope.contract_ids)
    if scope.currency:
        ids &= set(
            Contract.objects.filter(pk__in=ids, currency=scope.currency).values_list(
                "pk", flat=True
            )
            if len(ids) <= 1000
            else Contract.objects.filter(currency=scope.currency).values_list("pk", flat=True)
        )
    # Only an expected refund or credit (negative variable consideration) makes a refund
    # liability: read the as-of allocation of those contracts alone.
    may_refund = set(
        RevenueAllocation.objects.filter(variable_consideration__lt=0)
        .values_list("contract_id", flat=True)
        .distinct()
    )
    allocations = allocations_as_of(as_of, ids & may_refund) if may_refund & ids else {}
    figures = {}
    for contract_id in ids:
        total_billed, usage_billed = billed.get(contract_id, (ZERO, ZERO))
        refund = ZERO
        allocation = allocations.get(contract_id)
        if allocation is not None and allocation.variable_consideration < 0:
            refund = max(total_billed - usage_billed - allocation.transaction_price, ZERO)
        figures[contract_id] = Figures(
            total_billed, usage_billed, recognised.get(contract_id, ZERO), refund
        )
    return figures


def balance_totals(figures) -> dict:
    totals = dict.fromkeys(BALANCE_TOTALS, ZERO)
    for f in figures:
        totals["billed"] += f.billed
        totals["recognised"] += f.recognised
        totals["refund_liability"] += f.refund_liability
        totals["contract_asset"] += max(f.net_position, ZERO)
        totals["contract_liability"] += max(-f.net_position, ZERO)
    return totals


def _balance_rows(as_of: date, figures: dict[int, Figures], ids: list[int]):
    contracts = Contract.objects.select_related("account").in_bulk(ids)
    allocations = allocations_as_of(as_of, ids)
    built = set(
        PerformanceObligation.objects.filter(accounting_contract_id__in=ids).values_list(
            "accounting_contract_id", flat=True
        )
    )
    rows = []
    for contract_id in ids:
        contract, f = contracts[contract_id], figures[contract_id]
        allocation = allocations.get(contract_id)
        rows.append(
            ContractBalance(
                contract_id=contract_id,
                reference=contract.reference,
                name=contract.name,
                account_id=contract.account_id,
                account_name=contract.account.legal_name,
                currency=contract.currency,
                billed=f.billed,
                recognised=f.recognised,
                refund_liability=f.refund_liability,
                transaction_price=allocation.transaction_price if allocation else None,
                revenue_pending=contract_id not in built,
            )
        )
    return rows


@dataclass
class BalancesPage:
    rows: list[ContractBalance]
    paging: Paging
    totals: dict


def balances_page(
    as_of: date,
    scope: Scope = EVERY_CONTRACT,
    *,
    page: int | None = 1,
    page_size: int | None = DEFAULT_PAGE_SIZE,
    rows: bool = True,
) -> BalancesPage:
    """One page of `contract_balances` (by contract id) and the totals of every row."""
    if connection.vendor == "postgresql":
        size, offset = _requested(page, page_size)
        count, totals, found = balances_in_sql(as_of, scope, offset=offset, size=size, rows=rows)
        figures = {pk: Figures(*values) for pk, values in found.items()}
        return BalancesPage(
            _balance_rows(as_of, figures, list(figures)) if figures else [],
            paging(page, page_size, count),
            totals,
        )
    figures = balance_figures(as_of, scope)
    pages = paging(page, page_size, len(figures))
    ids = sorted(figures)[pages.offset : pages.offset + pages.page_size] if rows else []
    return BalancesPage(
        _balance_rows(as_of, figures, ids) if ids else [],
        pages,
        balance_totals(figures.values()),
    )


# --- Roll-forward ---------------------------------------------------------------------------


@dataclass
class RollForwardPage:
    start: date
    end: date
    currency: str
    rows: list[RollForwardRow]
    paging: Paging
    totals: dict


def rollforward_page(
    *,
    start: date,
    end: date,
    currency: str,
    page: int | None = 1,
    page_size: int | None = DEFAULT_PAGE_SIZE,
) -> RollForwardPage:
    """One page of `deferred_revenue_rollforward` (by contract reference) and its totals."""
    scope = Scope(currency=currency)
    if connection.vendor == "postgresql":
        size, offset = _requested(page, page_size)
        count, totals, moved = rollforward_in_sql(
            opening=start - ONE_DAY, closing=end, scope=scope, offset=offset, size=size
        )
        pages = paging(page, page_size, count)
        ids = list(moved)
    else:
        moved, totals = _moved(start, end, scope)
        order = sorted(moved, key=lambda pk: (Contract(pk=pk).reference, pk))
        pages = paging(page, page_size, len(order))
        ids = order[pages.offset : pages.offset + pages.page_size]
    contracts = Contract.objects.select_related("account").in_bulk(ids)
    rows = [
        RollForwardRow(
            contract_id=pk,
            reference=contracts[pk].reference,
            account_name=contracts[pk].account.legal_name,
            currency=contracts[pk].currency,
            **moved[pk],
        )
        for pk in ids
    ]
    return RollForwardPage(start, end, currency, rows, pages, totals)


def _moved(start: date, end: date, scope: Scope) -> tuple[dict[int, dict], dict]:
    """Per contract, its roll-forward figures where it moved or is not nil; their totals."""
    opening = balance_figures(start - ONE_DAY, scope)
    closing = balance_figures(end, scope)
    none = Figures(ZERO, ZERO, ZERO)
    moved = {}
    totals = dict.fromkeys(ROLLFORWARD_TOTALS, ZERO)
    for contract_id in set(opening) | set(closing):
        o, c = opening.get(contract_id, none), closing.get(contract_id, none)
        row = {
            "opening": -o.net_position,
            "billed": c.billed - o.billed,
            "recognised": c.recognised - o.recognised,
            "refund_change": c.refund_liability - o.refund_liability,
            "closing": -c.net_position,
            "opening_deferred": max(-o.net_position, ZERO),
            "opening_unbilled": max(o.net_position, ZERO),
            "closing_deferred": max(-c.net_position, ZERO),
            "closing_unbilled": max(c.net_position, ZERO),
        }
        if not any(row[n] for n in ("opening", "closing", "billed", "recognised", "refund_change")):
            continue
        moved[contract_id] = row
        for name, value in row.items():
            totals[name] += value
    return moved, totals


ROLLFORWARD_TOTALS = [
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

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "BalancesPage",
    "Figures",
    "Paging",
    "RollForwardPage",
    "WaterfallPage",
    "balance_figures",
    "balances_page",
    "paging",
    "rollforward_page",
    "waterfall_page",
]
