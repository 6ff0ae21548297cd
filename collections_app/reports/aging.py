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
    F,
    Q,
    Sum,
)

from billing.models import (
    CreditApplication,
    CreditNote,
    CreditRefund,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    Refund,
)
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


def _issued_invoice_q(params: AgingParams, prefix: str = "") -> Q:
    """Invoices that were issued (void ones too: their void credit note counts by its own
    date), dated on or before as_of. A discarded draft is void without a number."""
    q = Q(
        **{
            f"{prefix}number__isnull": False,
            f"{prefix}status__in": [InvoiceStatus.ISSUED, InvoiceStatus.VOID],
            f"{prefix}invoice_date__lte": params.as_of,
        }
    )
    if params.currency:
        q &= Q(**{f"{prefix}currency": params.currency})
    return q


# What a credit note took off its own invoice; the rest went on account.
NOTE_CREDIT_ON_INVOICE = F("total_amount") - F("on_account_amount")


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
    """The aging as of params.as_of: per currency, per customer, per bucket."""
    invoice_filters = _bucket_filters(params)
    joined_filters = _bucket_filters(params, "invoice__")

    invoices = Invoice.objects.filter(_issued_invoice_q(params))
    notes = CreditNote.objects.filter(
        _issued_invoice_q(params, "invoice__"), credit_date__lte=params.as_of
    )
    applications = PaymentApplication.objects.filter(
        _issued_invoice_q(params, "invoice__"), applied_date__lte=params.as_of
    )
    credit_applications = CreditApplication.objects.filter(
        _issued_invoice_q(params, "invoice__"), applied_date__lte=params.as_of
    )
    payments = Payment.objects.filter(received_date__lte=params.as_of)
    refunds = Refund.objects.filter(refund_date__lte=params.as_of)
    on_account = CreditNote.objects.filter(credit_date__lte=params.as_of, on_account_amount__gt=0)
    credit_refunds = CreditRefund.objects.filter(refund_date__lte=params.as_of)
    if params.currency:
        payments = payments.filter(currency=params.currency)
        refunds = refunds.filter(payment__currency=params.currency)
        on_account = on_account.filter(currency=params.currency)
        credit_refunds = credit_refunds.filter(credit_note__currency=params.currency)
    if account_id is not None:
        invoices = invoices.filter(account_id=account_id)
        notes = notes.filter(invoice__account_id=account_id)
        applications = applications.filter(invoice__account_id=account_id)
        credit_applications = credit_applications.filter(invoice__account_id=account_id)
        payments = payments.filter(account_id=account_id)
        refunds = refunds.filter(payment__account_id=account_id)
        on_account = on_account.filter(invoice__account_id=account_id)
        credit_refunds = credit_refunds.filter(credit_note__invoice__account_id=account_id)

    by_invoice = ("account_id", "currency")
    via_invoice = ("invoice__account_id", "invoice__currency")
    invoiced = _bucket_sums(invoices, by_invoice, "total_amount", invoice_filters)
    credited = _bucket_sums(notes, via_invoice, NOTE_CREDIT_ON_INVOICE, joined_filters)
    applied = _bucket_sums(applications, via_invoice, "amount", joined_filters)
    credit_applied = _bucket_sums(credit_applications, via_invoice, "amount", joined_filters)
    received = _totals(payments, by_invoice, "amount")
    refunded = _totals(refunds, ("payment__account_id", "payment__currency"), "amount")
    left_on_account = _totals(on_account, ("invoice__account_id", "currency"), "on_account_amount")
    credit_refunded = _totals(
        credit_refunds, ("credit_note__invoice__account_id", "credit_note__currency"), "amount"
    )

    n = len(invoice_filters)
    keys = set(invoiced) | set(credited) | set(applied) | set(received) | set(refunded)
    keys |= set(credit_applied) | set(left_on_account) | set(credit_refunded)
    rows: list[AgingRow] = []
    for key in keys:
        zeros = [ZERO] * n
        inv, cn, app = invoiced.get(key, zeros), credited.get(key, zeros), applied.get(key, zeros)
        capp = credit_applied.get(key, zeros)
        buckets = [inv[i] - cn[i] - app[i] - capp[i] for i in range(n)]
        # Applications and the payments or credit notes they come from share account
        # and currency.
        unapplied = (
            received.get(key, ZERO)
            - sum(app, ZERO)
            - refunded.get(key, ZERO)
            + left_on_account.get(key, ZERO)
            - sum(capp, ZERO)
            - credit_refunded.get(key, ZERO)
        )
        row = AgingRow(key[0], "", key[1], buckets, -unapplied if unapplied else ZERO)
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
