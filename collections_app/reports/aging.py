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

How it is computed: each invoice's open amount as of the date is what its maintained
settlement columns say today plus back what was dated after the date. On PostgreSQL each
customer's open invoices per currency are also summed in the database
(billing.models.AccountOpenBalance, kept by triggers): the oldest bucket is that sum less
the open invoices read one by one from the recent range the other buckets cover (an index
range), and the movements dated after the date are added back to their invoices'
buckets (billing.selectors.ar_as_of.OPEN_PARTS_FROM_BALANCES_SQL). The SQLite demo sums
every invoice (INVOICE_OPEN_PARTS_AS_OF_SQL); both give the same figures. Unapplied cash
and credit work the same way: each customer's maintained unapplied amount less what
documents dated after the date have left, plus back what was applied or refunded after it
(UNAPPLIED_FROM_BALANCES_SQL; the demo: UNAPPLIED_AS_OF_SQL). A date with movements
booked after it reads each customer's monthly movements instead (aging_window: one month
of movements and the recent buckets' invoices row by row, not all that came later). Every
path gives the same figures; Python only adds the per-customer results.

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

from django.db import connection, transaction

from billing.selectors.ar_as_of import (
    INVOICE_OPEN_PARTS_AS_OF_SQL,
    MOVED_AFTER_SQL,
    UNAPPLIED_AS_OF_SQL,
    UNAPPLIED_FROM_BALANCES_SQL,
    open_parts_sql,
    reads_open_balances,
    sql_amount,
    tune_report_transaction,
)
from billing.selectors.fx import RateUsed, fx_rates_as_of
from billing.selectors.fx import reporting_currency as reporting_currency_default
from collections_app.error_codes import CollectionsError
from core.errors import DomainValidationError
from core.money import round_money, validate_currency
from ordermgmt.models import Account

from .aging_window import aging_from_months

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


def _bucket_conditions(params: AgingParams) -> tuple[list[str], dict]:
    """One SQL condition per bucket on the basis date, as plain date comparisons: days
    past = as_of - basis date, so `days <= e` is `basis >= as_of - e`."""
    column = "due_date" if params.basis == AgingBasis.DUE_DATE else "invoice_date"
    d = params.as_of
    conditions, values = [f"{column} >= %(edge_0)s"], {"edge_0": d}
    low = 0
    for index, edge in enumerate(params.edges, start=1):
        conditions.append(f"{column} < %(low_{index})s AND {column} >= %(edge_{index})s")
        values |= {
            f"low_{index}": d - timedelta(days=low),
            f"edge_{index}": d - timedelta(days=edge),
        }
        low = edge
    conditions.append(f"{column} < %(last)s")
    values["last"] = d - timedelta(days=low)
    return conditions, values


def _filters(params: AgingParams, account_id: int | None) -> tuple[str, dict]:
    where, values = ["true"], {"as_of": params.as_of}
    if params.currency:
        where.append("currency = %(currency)s")
        values["currency"] = params.currency
    if account_id is not None:
        where.append("account_id = %(account_id)s")
        values["account_id"] = account_id
    return " AND ".join(where), values


def open_by_bucket(
    params: AgingParams, account_id: int | None = None, *, every_invoice: bool = False
) -> dict[tuple, list[Decimal]]:
    """{(account_id, currency): [open invoices per bucket]}: the invoices that count as
    of the date, each at its open amount then (billing's rule). From the customers'
    maintained open balances on PostgreSQL; `every_invoice` (the SQLite demo, and the
    tests and benchmark that compare the two) sums every invoice one by one."""
    conditions, values = _bucket_conditions(params)
    where, more = _filters(params, account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        if reads_open_balances(cursor) and not every_invoice:
            sql = _from_open_balances_sql(params, conditions, where)
        else:
            sums = ", ".join(
                f"coalesce(sum(open_amount) FILTER (WHERE {c}), 0)" for c in conditions
            )
            sql = (
                f"SELECT account_id, currency, {sums} FROM ({INVOICE_OPEN_PARTS_AS_OF_SQL}) o "
                f"WHERE {where} GROUP BY account_id, currency"
            )
        cursor.execute(sql, values | more)
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":  # numeric arrives as Decimal: nothing to convert
        return {(row[0], row[1]): list(row[2:]) for row in rows}
    return {(row[0], row[1]): [sql_amount(v) for v in row[2:]] for row in rows}


def _from_open_balances_sql(params: AgingParams, conditions: list[str], where: str) -> str:
    """The buckets from each customer's maintained open balance (billing.selectors.ar_as_of.
    OPEN_PARTS_FROM_BALANCES_SQL): the open invoices whose basis date falls in a bucket
    other than the oldest (or dated after the date) are read one by one, an index range
    of the recent dates; the oldest bucket is the rest of the customer's open balance."""
    if params.basis == AgingBasis.DUE_DATE:
        ranges = [
            "i.due_date >= %(last)s",
            "i.invoice_date > %(as_of)s AND i.due_date < %(last)s",
        ]
    else:
        ranges = ["i.invoice_date >= %(last)s"]
    counted = "part <> 'rest' AND invoice_date <= %(as_of)s"
    sums = [f"coalesce(sum(amount) FILTER (WHERE {counted} AND {c}), 0)" for c in conditions]
    sums[-1] = (
        "coalesce(sum(amount) FILTER (WHERE part = 'rest'), 0)"
        " - coalesce(sum(amount) FILTER (WHERE part = 'range'), 0) + " + sums[-1]
    )
    return (
        f"SELECT account_id, currency, {', '.join(sums)} FROM ({open_parts_sql(ranges)}) o "
        f"WHERE {where} GROUP BY account_id, currency"
    )


def _unapplied(
    params: AgingParams, account_id: int | None, every_invoice: bool = False
) -> dict[tuple, Decimal]:
    """{(account_id, currency): unapplied cash and credit} as of the date (from the
    customers' maintained unapplied amounts on PostgreSQL; see open_by_bucket)."""
    where, values = _filters(params, account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        if reads_open_balances(cursor) and not every_invoice:
            source = UNAPPLIED_FROM_BALANCES_SQL
        else:
            source = UNAPPLIED_AS_OF_SQL
        cursor.execute(f"SELECT * FROM ({source}) u WHERE {where}", values)
        return {(row[0], row[1]): sql_amount(row[2]) for row in cursor.fetchall()}


def _from_monthly_movements(
    params: AgingParams, account_id: int | None
) -> tuple[dict[tuple, list[Decimal]], dict[tuple, Decimal]] | None:
    """Buckets and unapplied amounts from the customers' monthly movements
    (collections_app.reports.aging_window) when something that counts was booked after
    the date; None where the other paths read less (nothing moved after the date: today's
    balances are the date's) or the table is not kept (the SQLite demo)."""
    conditions, values = _bucket_conditions(params)
    where, more = _filters(params, account_id)
    with transaction.atomic(), connection.cursor() as cursor:
        tune_report_transaction(cursor)
        if not reads_open_balances(cursor):
            return None
        cursor.execute(MOVED_AFTER_SQL, {"as_of": params.as_of})
        if not cursor.fetchone()[0]:
            return None
        return aging_from_months(
            cursor,
            as_of=params.as_of,
            basis=params.basis,
            last_edge=params.edges[-1],
            conditions=conditions,
            values=values | more,
            where=where,
        )


def aging_figures(
    params: AgingParams, account_id: int | None = None, *, every_invoice: bool = False
) -> tuple[dict[tuple, list[Decimal]], dict[tuple, Decimal]]:
    """({(account_id, currency): [open invoices per bucket]}, {(account_id, currency):
    unapplied cash and credit}) as of the date, by the path that reads least for it (a
    past date: the monthly movements; else the maintained balances; the SQLite demo and
    `every_invoice`: every invoice). Every path gives the same figures."""
    if not every_invoice:
        found = _from_monthly_movements(params, account_id)
        if found is not None:
            return found
    return (
        open_by_bucket(params, account_id, every_invoice=every_invoice),
        _unapplied(params, account_id, every_invoice),
    )


def _account_names(ids: set[int]) -> dict[int, str]:
    """Names for the report's rows. A long IN list costs more to build and plan than
    reading every account's name once, so past a few hundred ids read them all."""
    accounts = Account.objects.all()
    if len(ids) <= 500:
        accounts = accounts.filter(pk__in=ids)
    return dict(accounts.values_list("pk", "legal_name"))


def ar_aging(
    params: AgingParams, *, account_id: int | None = None, every_invoice: bool = False
) -> AgingReport:
    """The aging as of params.as_of: per currency, per customer, per bucket. What counts
    as of the date is billing's one rule (billing.selectors.ar_as_of); `every_invoice`:
    see open_by_bucket."""
    n = len(params.edges) + 2
    buckets, unapplied = aging_figures(params, account_id, every_invoice=every_invoice)

    rows: list[AgingRow] = []
    for key in set(buckets) | set(unapplied):
        left = unapplied.get(key, ZERO)
        row = AgingRow(key[0], "", key[1], buckets.get(key, [ZERO] * n), -left if left else ZERO)
        if not row.is_zero:
            rows.append(row)

    names = _account_names({r.account_id for r in rows})
    for row in rows:
        row.account_name = names.get(row.account_id, f"Account #{row.account_id}")
    rows.sort(key=lambda r: (r.currency, r.account_name.casefold(), r.account_id))

    # Rows are sorted by currency first: one walk makes each currency's table and totals.
    currencies: list[CurrencyAging] = []
    for row in rows:
        if not currencies or currencies[-1].currency != row.currency:
            currencies.append(CurrencyAging(row.currency, [], [ZERO] * n, ZERO))
        table = currencies[-1]
        table.rows.append(row)
        table.buckets = [a + b for a, b in zip(table.buckets, row.buckets, strict=True)]
        table.unapplied_credits += row.unapplied_credits
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
