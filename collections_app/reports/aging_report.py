"""The AR aging's parameters (as-of date, basis, bucket edges, currencies) and results
(customer rows, per-currency tables with their totals, the reporting-currency total).
The selectors that fill them are in collections_app.reports.aging."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.selectors.fx import RateUsed, fx_rates_as_of
from billing.selectors.fx import reporting_currency as reporting_currency_default
from collections_app.error_codes import CollectionsError
from core.errors import DomainValidationError
from core.money import round_money, validate_currency

ZERO = Decimal("0")
DEFAULT_EDGES: tuple[int, ...] = (30, 60, 90, 120)
MAX_EDGES = 10
MAX_EDGE_DAYS = 3650


class AgingBasis:
    DUE_DATE = "due_date"
    INVOICE_DATE = "invoice_date"
    CHOICES = [(DUE_DATE, "Due date"), (INVOICE_DATE, "Invoice date")]
    VALUES = {DUE_DATE, INVOICE_DATE}


# --- Parameters -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    index: int
    key: str
    label: str
    from_days: int | None  # inclusive; None: no lower bound (Current)
    to_days: int | None  # inclusive; None: no upper bound (the oldest bucket)


def parse_edges(value: str | Sequence[int] | None) -> tuple[int, ...]:
    """ "30,60,90,120" -> (30, 60, 90, 120); positive whole days, strictly increasing."""
    if value is None or value == "" or value == []:
        return DEFAULT_EDGES
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    else:
        parts = list(value)
    try:
        edges = tuple(int(p) for p in parts)
    except (TypeError, ValueError) as err:
        raise DomainValidationError(
            field="edges",
            code=CollectionsError.NOT_WHOLE_DAYS,
            message="Bucket edges are whole numbers of days separated by commas, e.g. 30,60,90.",
        ) from err
    if not edges or len(edges) > MAX_EDGES:
        raise DomainValidationError(
            field="edges",
            code=CollectionsError.EDGE_COUNT,
            message=f"Give between 1 and {MAX_EDGES} bucket edges.",
        )
    if edges[0] < 1 or edges[-1] > MAX_EDGE_DAYS:
        raise DomainValidationError(
            field="edges",
            code=CollectionsError.EDGE_RANGE,
            message=f"Bucket edges lie between 1 and {MAX_EDGE_DAYS} days.",
        )
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise DomainValidationError(
            field="edges",
            code=CollectionsError.NOT_INCREASING,
            message="Bucket edges must increase, e.g. 30,60,90,120.",
        )
    return edges


def buckets_for(edges: Sequence[int]) -> list[Bucket]:
    """Current (<= 0 days), then (previous edge + 1)..edge, then over the last edge."""
    buckets = [Bucket(0, "current", "Current", None, 0)]
    low = 1
    for index, edge in enumerate(edges, start=1):
        buckets.append(Bucket(index, f"d{low}_{edge}", f"{low}–{edge}", low, edge))
        low = edge + 1
    buckets.append(
        Bucket(len(edges) + 1, f"over_{edges[-1]}", f"Over {edges[-1]}", edges[-1] + 1, None)
    )
    return buckets


@dataclass(frozen=True)
class AgingParams:
    as_of: date
    basis: str = AgingBasis.DUE_DATE
    edges: tuple[int, ...] = DEFAULT_EDGES
    currency: str | None = None  # only documents in this currency; None: every currency
    reporting_currency: str = field(default_factory=reporting_currency_default)

    def __post_init__(self):
        if self.basis not in AgingBasis.VALUES:
            raise DomainValidationError(
                field="basis",
                code=CollectionsError.UNKNOWN_BASIS,
                message=f"Age by {AgingBasis.DUE_DATE} or {AgingBasis.INVOICE_DATE}.",
            )
        object.__setattr__(self, "edges", parse_edges(self.edges))
        if self.currency:
            validate_currency(self.currency)
        validate_currency(self.reporting_currency, field="reporting_currency")

    @property
    def buckets(self) -> list[Bucket]:
        return buckets_for(self.edges)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "basis": self.basis,
            "edges": list(self.edges),
            "currency": self.currency or "",
            "reporting_currency": self.reporting_currency,
        }


def bucket_index(days: int, edges: Sequence[int]) -> int:
    if days <= 0:
        return 0
    for index, edge in enumerate(edges, start=1):
        if days <= edge:
            return index
    return len(edges) + 1


# --- Results --------------------------------------------------------------------------


class BucketTotals:
    """Open (every bucket), overdue (every bucket but Current) and net (open less
    unapplied credits) of a row, a currency's table or the reporting total."""

    buckets: list[Decimal]
    unapplied_credits: Decimal

    @property
    def open_total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def net_total(self) -> Decimal:
        return self.open_total + self.unapplied_credits

    @property
    def overdue_total(self) -> Decimal:
        return sum(self.buckets[1:], ZERO)


@dataclass
class AgingRow(BucketTotals):
    account_id: int
    account_name: str
    currency: str
    buckets: list[Decimal]
    unapplied_credits: Decimal = ZERO  # zero or negative

    @property
    def is_zero(self) -> bool:
        return not any(self.buckets) and not self.unapplied_credits


@dataclass
class CurrencyAging(BucketTotals):
    currency: str
    rows: list[AgingRow]  # every customer's, or one page's (aging_page)
    buckets: list[Decimal]  # the totals over every customer, whichever rows are shown
    unapplied_credits: Decimal
    customer_count: int = 0  # customers with a figure in this currency, shown or not


def rates_text(rates: Iterable[RateUsed]) -> str:
    """The conversions used, e.g. "1 EUR = 1.085 USD (rate of 2026-03-31)"."""
    return "; ".join(str(rate) for rate in rates if rate.rate_date is not None)


@dataclass
class ReportingTotal(BucketTotals):
    currency: str
    buckets: list[Decimal]
    unapplied_credits: Decimal
    rates: list[RateUsed]

    @property
    def rates_text(self) -> str:
        return rates_text(self.rates)


@dataclass
class AgingReport:
    params: AgingParams
    buckets: list[Bucket]
    currencies: list[CurrencyAging]
    reporting: ReportingTotal | None
    missing_rates: list[str]  # currencies without a rate on or before as_of

    @property
    def missing_rate_message(self) -> str:
        if not self.missing_rates:
            return ""
        codes = ", ".join(self.missing_rates)
        return (
            f"No {self.params.reporting_currency} rate for {codes} dated on or before "
            f"{self.params.as_of.isoformat()}: the {self.params.reporting_currency} total is "
            "left out (add the rate under Billing › FX rates). Each currency's own totals are "
            "complete."
        )

    @property
    def row_count(self) -> int:
        """Customer rows in the whole report (a paged report holds fewer)."""
        return sum(c.customer_count for c in self.currencies)


def convert(amount: Decimal, rate: RateUsed) -> Decimal:
    """Rounded once, to the reporting currency's minor unit."""
    return round_money(amount * rate.rate, rate.reporting_currency)


def reporting_total(
    currencies: list[CurrencyAging], reporting_currency: str, as_of: date, *, bucket_count: int
) -> tuple[ReportingTotal | None, list[str]]:
    rates, missing = fx_rates_as_of([c.currency for c in currencies], reporting_currency, as_of)
    if missing:
        return None, missing
    buckets = [ZERO] * bucket_count
    credits = ZERO
    for table in currencies:
        rate = rates[table.currency]
        for i, amount in enumerate(table.buckets):
            buckets[i] += convert(amount, rate)
        credits += convert(table.unapplied_credits, rate)
    return ReportingTotal(reporting_currency, buckets, credits, list(rates.values())), []
