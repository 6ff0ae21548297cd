"""Reads and reports of revenue recognition: contract balances, the revenue waterfall and
the deferred revenue roll-forward, all "as of" a date.

As-of rules (what was known and open at the end of the date):
- Recognised revenue: schedule lines with recognition_date <= D, from each obligation's
  latest schedule version whose effective date is <= D (versions never change lines before
  their effective date, so revenue to date does not depend on the version; the choice
  matters only for what is still scheduled).
- Usage (as invoiced, 606-10-55-18): round(usage to date x net unit price) per usage
  period: the amount the usage gives a right to invoice, equal to the usage invoice once
  the period is billed; usage not yet invoiced is an unbilled contract asset.
- Billed: lines of issued (and later voided) invoices dated <= D, net of tax, less credit
  note lines dated <= D.
- One net position per contract (606-10-45-1): recognised - billed (+ refund liability);
  positive is a contract asset (unbilled), negative a contract liability (deferred
  revenue). An amendment accounted for as part of the contract it amends is in that
  contract's position.
- Refund liability: billed beyond the transaction price when the variable consideration
  is an expected refund or credit (e.g. SLA credits), shown apart from the position.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery, Sum

from billing.models import (
    BillingScheduleLine,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    ScheduleLineKind,
    UsageRecord,
)
from core.money import round_money
from ordermgmt.models import Contract

from ..engine import month_periods
from ..models import (
    PerformanceObligation,
    RevenueAllocation,
    RevenueException,
    RevenueSchedule,
    RevenueScheduleLine,
)

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)
BILLED_STATUSES = [InvoiceStatus.ISSUED, InvoiceStatus.VOID]
STORED = Decimal("0.0001")


def exact(value) -> Decimal:
    """A database sum back to the stored precision (SQLite sums decimals as floats; on
    PostgreSQL this changes nothing)."""
    return Decimal(value or 0).quantize(STORED)


# --- Scope and the contract map -------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Which contracts a report covers: a currency, an account, or given contracts."""

    currency: str | None = None
    account_id: int | None = None
    contract_ids: tuple[int, ...] | None = None  # accounting contracts


def accounting_map(contract_ids=None) -> dict[int, int]:
    """contract id -> the contract it is accounted in (itself unless combined)."""
    rows = PerformanceObligation.objects.values_list("contract_id", "accounting_contract_id")
    if contract_ids is not None:
        rows = rows.filter(
            Q(contract_id__in=contract_ids) | Q(accounting_contract_id__in=contract_ids)
        )
    return dict(rows.distinct())


def _contracts_in_scope(scope: Scope):
    contracts = Contract.objects.all()
    if scope.currency:
        contracts = contracts.filter(currency=scope.currency)
    if scope.account_id:
        contracts = contracts.filter(account_id=scope.account_id)
    if scope.contract_ids is not None:
        members = PerformanceObligation.objects.filter(
            accounting_contract_id__in=scope.contract_ids
        ).values("contract_id")
        contracts = contracts.filter(Q(pk__in=scope.contract_ids) | Q(pk__in=members))
    return contracts


# --- Revenue events -------------------------------------------------------------------------


def schedules_as_of(as_of: date):
    """Ids of each obligation's latest schedule version known on `as_of`: known then, and
    no later version known then. (As an anti-join the planner sees how many schedules
    qualify; as `pk = (latest ... LIMIT 1)` it guessed a handful and looked up every
    line's obligation one at a time, half the waterfall's time.)"""
    later = RevenueSchedule.objects.filter(
        obligation=OuterRef("obligation"),
        effective_date__lte=as_of,
        version__gt=OuterRef("version"),
    )
    return (
        RevenueSchedule.objects.filter(effective_date__lte=as_of)
        .filter(~Exists(later))
        .values("pk")
    )


def _schedule_lines(as_of: date, scope: Scope):
    lines = RevenueScheduleLine.objects.filter(schedule__in=schedules_as_of(as_of))
    if scope.currency:
        lines = lines.filter(currency=scope.currency)
    if scope.account_id:
        lines = lines.filter(contract__account_id=scope.account_id)
    if scope.contract_ids is not None:
        lines = lines.filter(contract_id__in=scope.contract_ids)
    return lines


# Revenue of usage priced by rate cards and of commitments and credits: callables
# `(as_of=, contracts=) -> [(contract id, product id, date, amount)]` that billing.usage
# registers (usage as consumed, promotional credits, breakage, true-ups).
USAGE_REVENUE: list = []


@dataclass(frozen=True)
class UsageEvent:
    contract_id: int  # accounting contract
    product_id: int
    recognition_date: date
    amount: Decimal


def usage_events(as_of: date, scope: Scope) -> list[UsageEvent]:
    """Usage revenue through `as_of`, by month within each usage billing period:
    cumulative round(quantity to date x net unit price), so a whole period adds up to the
    invoice's round(quantity x price)."""
    contracts = _contracts_in_scope(scope)
    registered = [row for hook in USAGE_REVENUE for row in hook(as_of=as_of, contracts=contracts)]
    if registered:
        mapping = accounting_map(list({row[0] for row in registered}))
        registered = [
            UsageEvent(mapping.get(contract_id, contract_id), product_id, day, amount)
            for contract_id, product_id, day, amount in registered
        ]
    periods = list(
        BillingScheduleLine.objects.filter(
            kind=ScheduleLineKind.USAGE, contract__in=contracts, period_start__lte=as_of
        ).values_list(
            "contract_id",
            "contract_line_id",
            "contract_line__product_id",
            "period_start",
            "period_end",
            "unit_price",
            "currency",
        )
    )
    if not periods:
        return registered
    line_ids = {p[1] for p in periods}
    daily: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for line_id, usage_date, quantity in (
        UsageRecord.objects.filter(contract_line_id__in=line_ids, usage_date__lte=as_of)
        .values_list("contract_line_id", "usage_date")
        .annotate(q=Sum("quantity"))
        .order_by("usage_date")
    ):
        daily[line_id].append((usage_date, exact(quantity)))
    mapping = accounting_map([p[0] for p in periods])
    events = registered
    for contract_id, line_id, product_id, start, end, unit_price, currency in periods:
        records = [(d, q) for d, q in daily.get(line_id, []) if start <= d <= end]
        if not records:
            continue
        to_date = ZERO
        previous = ZERO
        for month_first, month_last in month_periods(start, min(end, as_of)):
            to_date += sum((q for d, q in records if month_first <= d <= month_last), ZERO)
            target = round_money(to_date * unit_price, currency)
            if target != previous:
                events.append(
                    UsageEvent(
                        mapping.get(contract_id, contract_id),
                        product_id,
                        month_last,
                        target - previous,
                    )
                )
            previous = target
    return events


def recognised_by_contract(as_of: date, scope: Scope = Scope()) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for contract_id, amount in (
        _schedule_lines(as_of, scope)
        .filter(recognition_date__lte=as_of)
        .values_list("contract_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        totals[contract_id] += exact(amount)
    for event in usage_events(as_of, scope):
        totals[event.contract_id] += event.amount
    return dict(totals)


# --- Billing --------------------------------------------------------------------------------


def _billed_invoice_lines(as_of: date, contracts):
    return InvoiceLine.objects.filter(
        invoice__contract__in=contracts,
        invoice__number__isnull=False,
        invoice__status__in=BILLED_STATUSES,
        invoice__invoice_date__lte=as_of,
    )


def _credited_lines(as_of: date, contracts):
    return CreditNoteLine.objects.filter(
        credit_note__invoice__contract__in=contracts, credit_note__credit_date__lte=as_of
    )


def billed_by_contract(as_of: date, scope: Scope = Scope()) -> dict[int, tuple[Decimal, Decimal]]:
    """accounting contract -> (billed net of tax and credits, of which usage)."""
    contracts = _contracts_in_scope(scope)
    mapping = accounting_map(list(contracts.values_list("pk", flat=True)))
    totals: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for contract_id, kind, amount in (
        _billed_invoice_lines(as_of, contracts)
        .values_list("invoice__contract_id", "schedule_line__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        row = totals[mapping.get(contract_id, contract_id)]
        row[0] += exact(amount)
        if kind == ScheduleLineKind.USAGE:
            row[1] += exact(amount)
    for contract_id, kind, amount in (
        _credited_lines(as_of, contracts)
        .values_list("credit_note__invoice__contract_id", "invoice_line__schedule_line__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        row = totals[mapping.get(contract_id, contract_id)]
        row[0] -= exact(amount)
        if kind == ScheduleLineKind.USAGE:
            row[1] -= exact(amount)
    return {k: (v[0], v[1]) for k, v in totals.items()}


def allocations_as_of(as_of: date, contract_ids) -> dict[int, RevenueAllocation]:
    latest = (
        RevenueAllocation.objects.filter(contract=OuterRef("contract"), effective_date__lte=as_of)
        .order_by("-version")
        .values("pk")[:1]
    )
    return {
        a.contract_id: a
        for a in RevenueAllocation.objects.filter(
            contract_id__in=contract_ids, effective_date__lte=as_of, pk=Subquery(latest)
        )
    }


# --- Contract balances ----------------------------------------------------------------------


@dataclass
class ContractBalance:
    contract_id: int
    reference: str
    name: str
    account_id: int
    account_name: str
    currency: str
    billed: Decimal
    recognised: Decimal
    refund_liability: Decimal = ZERO
    transaction_price: Decimal | None = None
    revenue_pending: bool = False

    @property
    def net_position(self) -> Decimal:
        """Positive: contract asset (unbilled); negative: contract liability (deferred)."""
        return self.recognised - self.billed + self.refund_liability

    @property
    def contract_asset(self) -> Decimal:
        return max(self.net_position, ZERO)

    @property
    def contract_liability(self) -> Decimal:
        return max(-self.net_position, ZERO)

    @property
    def deferred_revenue(self) -> Decimal:
        return self.contract_liability

    @property
    def unbilled(self) -> Decimal:
        return self.contract_asset

    @property
    def position(self) -> str:
        if self.net_position > 0:
            return "contract asset (unbilled)"
        if self.net_position < 0:
            return "contract liability (deferred revenue)"
        return "nil"


def contract_balances(as_of: date, scope: Scope = Scope()) -> list[ContractBalance]:
    """One net position per (accounting) contract as of the end of `as_of`."""
    recognised = recognised_by_contract(as_of, scope)
    billed = billed_by_contract(as_of, scope)
    ids = set(recognised) | set(billed)
    if scope.contract_ids is not None:
        ids &= set(scope.contract_ids)
    contracts = {c.pk: c for c in Contract.objects.filter(pk__in=ids).select_related("account")}
    if scope.currency:
        ids = {i for i in ids if i in contracts and contracts[i].currency == scope.currency}
    allocations = allocations_as_of(as_of, ids)
    built = set(
        PerformanceObligation.objects.filter(accounting_contract_id__in=ids).values_list(
            "accounting_contract_id", flat=True
        )
    )
    rows = []
    for contract_id in sorted(ids):
        contract = contracts[contract_id]
        total_billed, usage_billed = billed.get(contract_id, (ZERO, ZERO))
        allocation = allocations.get(contract_id)
        refund = ZERO
        if allocation is not None and allocation.variable_consideration < 0:
            refund = max(total_billed - usage_billed - allocation.transaction_price, ZERO)
        rows.append(
            ContractBalance(
                contract_id=contract_id,
                reference=contract.reference,
                name=contract.name,
                account_id=contract.account_id,
                account_name=contract.account.legal_name,
                currency=contract.currency,
                billed=total_billed,
                recognised=recognised.get(contract_id, ZERO),
                refund_liability=refund,
                transaction_price=allocation.transaction_price if allocation else None,
                revenue_pending=contract_id not in built,
            )
        )
    return rows


def contract_balance(contract: Contract, as_of: date) -> ContractBalance:
    root_id = accounting_map([contract.pk]).get(contract.pk, contract.pk)
    rows = contract_balances(as_of, Scope(contract_ids=(root_id,)))
    if rows:
        return rows[0]
    root = Contract.objects.select_related("account").get(pk=root_id)
    return ContractBalance(
        root.pk,
        root.reference,
        root.name,
        root.account_id,
        root.account.legal_name,
        root.currency,
        ZERO,
        ZERO,
        revenue_pending=not PerformanceObligation.objects.filter(contract=root).exists(),
    )


@dataclass
class BillingDocument:
    kind: str  # "invoice" | "credit_note"
    number: str
    document_date: date
    contract_reference: str
    net_amount: Decimal  # credit notes negative
    tax_amount: Decimal


def billing_documents(contract: Contract, as_of: date) -> list[BillingDocument]:
    """The invoices and credit notes behind a contract's billed figure (its reconciliation:
    their net amounts add up to ContractBalance.billed)."""
    root_id = accounting_map([contract.pk]).get(contract.pk, contract.pk)
    members = _contracts_in_scope(Scope(contract_ids=(root_id,)))
    documents = [
        BillingDocument(
            "invoice",
            i.number,
            i.invoice_date,
            i.contract.reference,
            i.subtotal_amount,
            i.tax_amount,
        )
        for i in Invoice.objects.filter(
            contract__in=members,
            number__isnull=False,
            status__in=BILLED_STATUSES,
            invoice_date__lte=as_of,
        ).select_related("contract")
    ]
    documents += [
        BillingDocument(
            "credit_note",
            n.number,
            n.credit_date,
            n.invoice.contract.reference,
            -n.subtotal_amount,
            -n.tax_amount,
        )
        for n in CreditNote.objects.filter(
            invoice__contract__in=members, credit_date__lte=as_of
        ).select_related("invoice__contract")
    ]
    return sorted(documents, key=lambda d: (d.document_date, d.kind, d.number))


def open_exceptions():
    return RevenueException.objects.filter(resolved_at__isnull=True).select_related("contract")
