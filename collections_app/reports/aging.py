"""AR aging as of any date (research/accounting-conventions.md sections 5 and 9.4).

What counts as of a date D (the "Report Date" method, section 5.4):

- an invoice counts if it is issued (or voided later) and dated on or before D;
- a credit note (the void of an invoice is one too), a payment application and an
  application of credit on account (a reversal is a negative application) reduce it only
  if dated on or before D; a credit note reduces its own invoice by the part that
  invoice still owed when it was issued, the rest is credit on account;
- open amount as of D = total - credit dated <= D - applications dated <= D.

So the report for a past date gives the same figures whatever was booked afterwards.

Unapplied cash and credit are shown in their own "Unapplied credits" column (section
5.3): payments received <= D and credit notes' credit on account dated <= D, less their
applications dated <= D and refunds dated <= D, as a negative amount, so that a
customer's net total equals its AR balance.

How it is computed: the bucket of an invoice depends only on its own dates, never on
its open amount, so each bucket's open total is a sum of sums, SUM(invoice totals in the
bucket) - SUM(credit notes on invoices in the bucket) - SUM(applications on invoices in
the bucket). Each sum is one grouped SQL aggregate (FILTER clauses per bucket), a single
pass over its table joined to the invoice; Python only adds the few per-customer results.

Currencies are never added together: each document is aged in its own currency, one
table per currency; a total in the reporting currency converts each currency's totals
at the latest rate dated on or before D (decision 9.4) and names the rates used. A
missing rate leaves the reporting total out with a message, never a silent 1:1.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Q,
    Sum,
)

from billing.selectors.ar_as_of import AR_MOVEMENTS
from billing.selectors.fx import RateUsed, fx_rates_as_of
from billing.selectors.fx import reporting_currency as reporting_currency_default
from collections_app.error_codes import CollectionsError
from core.errors import DomainValidationError
from core.money import round_money, validate_currency
from ordermgmt.models import Account

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


def _bucket_filters(params: AgingParams, prefix: str = "") -> list[Q]:
    """One Q per bucket on the basis date, as plain date comparisons (index-friendly):
    days past due = as_of - basis date, so `days <= e` is `basis >= as_of - e`."""
    name = f"{prefix}{params.basis}"
    d = params.as_of
    filters = [Q(**{f"{name}__gte": d})]
    low = 0
    for edge in params.edges:
        filters.append(
            Q(**{f"{name}__lt": d - timedelta(days=low), f"{name}__gte": d - timedelta(days=edge)})
        )
        low = edge
    filters.append(Q(**{f"{name}__lt": d - timedelta(days=low)}))
    return filters


# --- Results --------------------------------------------------------------------------


@dataclass
class AgingRow:
    account_id: int
    account_name: str
    currency: str
    buckets: list[Decimal]
    unapplied_credits: Decimal = ZERO  # zero or negative

    @property
    def open_total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def net_total(self) -> Decimal:
        return self.open_total + self.unapplied_credits

    @property
    def overdue_total(self) -> Decimal:
        return sum(self.buckets[1:], ZERO)

    @property
    def is_zero(self) -> bool:
        return not any(self.buckets) and not self.unapplied_credits


@dataclass
class CurrencyAging:
    currency: str
    rows: list[AgingRow]
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


def rates_text(rates: Iterable[RateUsed]) -> str:
    """The conversions used, e.g. "1 EUR = 1.085 USD (rate of 2026-03-31)"."""
    return "; ".join(str(rate) for rate in rates if rate.rate_date is not None)


@dataclass
class ReportingTotal:
    currency: str
    buckets: list[Decimal]
    unapplied_credits: Decimal
    rates: list[RateUsed]

    @property
    def open_total(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def net_total(self) -> Decimal:
        return self.open_total + self.unapplied_credits

    @property
    def overdue_total(self) -> Decimal:
        return sum(self.buckets[1:], ZERO)

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
        return sum(len(c.rows) for c in self.currencies)


# --- Selectors ------------------------------------------------------------------------


def _bucket_sums(queryset, group: Sequence[str], amount: str, filters: list[Q]) -> dict:
    """{(account_id, currency): [sum per bucket]} in one grouped query."""
    aggregates = {f"b{i}": Sum(amount, filter=q) for i, q in enumerate(filters)}
    result = {}
    for row in queryset.values(*group).annotate(**aggregates).order_by():
        key = (row[group[0]], row[group[1]])
        result[key] = [row[f"b{i}"] or ZERO for i in range(len(filters))]
    return result


def _totals(queryset, group: Sequence[str], amount: str) -> dict:
    return {
        (row[group[0]], row[group[1]]): row["total"] or ZERO
        for row in queryset.values(*group).annotate(total=Sum(amount)).order_by()
    }


def _account_names(ids: set[int]) -> dict[int, str]:
    """Names for the report's rows. A long IN list costs more to build and plan than
    reading every account's name once, so past a few hundred ids read them all."""
    accounts = Account.objects.all()
    if len(ids) <= 500:
        accounts = accounts.filter(pk__in=ids)
    return dict(accounts.values_list("pk", "legal_name"))


def ar_aging(params: AgingParams, *, account_id: int | None = None) -> AgingReport:
    """The aging as of params.as_of: per currency, per customer, per bucket. What counts
    as of the date is billing's one rule (billing.selectors.ar_as_of)."""
    n = len(params.edges) + 2
    # {(account_id, currency): [gross AR per bucket]} and {(...): unapplied cash and credit}
    open_by_bucket: dict[tuple, list[Decimal]] = {}
    unapplied: dict[tuple, Decimal] = {}
    for movement in AR_MOVEMENTS:
        rows = movement.rows(as_of=params.as_of, currency=params.currency, account_id=account_id)
        group = (movement.account_field, movement.currency_field)
        if movement.invoice is not None:
            filters = _bucket_filters(params, movement.invoice_prefix)
            sums = _bucket_sums(rows, group, movement.amount, filters)
            for key, per_bucket in sums.items():
                if movement.gross:
                    target = open_by_bucket.setdefault(key, [ZERO] * n)
                    for i, amount in enumerate(per_bucket):
                        target[i] += movement.gross * amount
                if movement.unapplied:
                    total = sum(per_bucket, ZERO)
                    unapplied[key] = unapplied.get(key, ZERO) + movement.unapplied * total
        else:
            # Applications and the payments or credit notes they come from share account
            # and currency.
            for key, total in _totals(rows, group, movement.amount).items():
                unapplied[key] = unapplied.get(key, ZERO) + movement.unapplied * total

    rows: list[AgingRow] = []
    for key in set(open_by_bucket) | set(unapplied):
        left = unapplied.get(key, ZERO)
        row = AgingRow(
            key[0], "", key[1], open_by_bucket.get(key, [ZERO] * n), -left if left else ZERO
        )
        if not row.is_zero:
            rows.append(row)

    names = _account_names({r.account_id for r in rows})
    for row in rows:
        row.account_name = names.get(row.account_id, f"Account #{row.account_id}")
    rows.sort(key=lambda r: (r.currency, r.account_name.casefold(), r.account_id))

    currencies = []
    for code in sorted({r.currency for r in rows}):
        mine = [r for r in rows if r.currency == code]
        currencies.append(
            CurrencyAging(
                currency=code,
                rows=mine,
                buckets=[sum((r.buckets[i] for r in mine), ZERO) for i in range(n)],
                unapplied_credits=sum((r.unapplied_credits for r in mine), ZERO),
            )
        )
    reporting, missing = reporting_total(
        currencies, params.reporting_currency, params.as_of, bucket_count=n
    )
    return AgingReport(params, params.buckets, currencies, reporting, missing)


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
