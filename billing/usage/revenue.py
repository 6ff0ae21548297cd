"""ASC 606 view of prepaid commitments and credits, from the ledger (a selector: no writes).

- A prepaid commitment or prepaid credit is a contract liability when paid; usage drawn
  from it is revenue as consumed (606-10-55-18: the drawdown's effective date).
- A promotional credit is a price reduction, not a liability: its drawdowns reduce the
  usage revenue of the period they cover.
- Breakage (606-10-55-46..49) of a prepaid balance expected to go unused: the setting
  `LEDGERLINE_USAGE_BREAKAGE` chooses
  * `"expiry"` (default): recognised when the balance expires (the remote-likelihood
    reading, used when the contract data gives no reliable pattern), or
  * `"proportional"`: in proportion to the pattern of use: expected breakage = what the
    average daily use so far leaves unused at the end of the period; the share of it
    recognised = used / expected use; the rest at expiry.
Amounts are rounded once per commitment with the project's money helper.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q

from billing.models import (
    BillingScheduleLine,
    InvoiceLine,
    InvoiceStatus,
    ScheduleLineKind,
)
from billing.revenue.engine import month_periods
from billing.revenue.inclusive_net import (
    INVOICED_STATUSES,
    IncludedRates,
    Invoiced,
    invoiced_by_key,
    settled,
)
from billing.usage.models import (
    Commitment,
    CommitmentInstallment,
    CommitmentKind,
    DailyUsage,
    EntryKind,
    LedgerEntry,
    PaymentPlan,
    UsagePrice,
)
from billing.usage.pricing import price_period
from billing.usage.revenue_inclusive import GrossEvent, net_commitment_events
from billing.usage.selectors import commitment_balances
from core.money import round_money

ZERO = Decimal(0)


def breakage_policy() -> str:
    policy = getattr(settings, "LEDGERLINE_USAGE_BREAKAGE", "expiry")
    if policy not in {"expiry", "proportional"}:
        raise ValueError("LEDGERLINE_USAGE_BREAKAGE must be 'expiry' or 'proportional'")
    return policy


@dataclass
class CommitmentRevenue:
    commitment_id: int
    currency: str
    usage_revenue: Decimal  # drawn by usage (negative for a promotional credit)
    breakage_revenue: Decimal
    contract_liability: Decimal  # prepaid and not yet recognised
    policy: str
    # Installments: usage drawn ahead of what they invoiced is a contract asset (unbilled).
    contract_asset: Decimal = ZERO


def commitment_revenue(commitments, as_of: date) -> list[CommitmentRevenue]:
    """The ledger's view, in the ledger's amounts (gross of tax on a tax-inclusive
    contract); the revenue recognised is `usage_revenue_events`, net."""
    policy = breakage_policy()
    invoiced = _installments_invoiced(commitments, as_of)
    rows = []
    for balance in commitment_balances(commitments, as_of):
        commitment = balance.commitment
        currency = commitment.currency
        if commitment.kind == CommitmentKind.PROMOTIONAL_CREDIT:
            rows.append(
                CommitmentRevenue(commitment.pk, currency, -balance.used, ZERO, ZERO, policy)
            )
            continue
        if commitment.kind == CommitmentKind.POSTPAID_COMMIT:
            # Usage is invoiced as it happens; a true-up is revenue when the period ends.
            rows.append(
                CommitmentRevenue(
                    commitment.pk, currency, balance.used, balance.expired, ZERO, policy
                )
            )
            continue
        breakage = balance.expired
        if policy == "proportional" and balance.remaining > 0 and balance.burn_per_day:
            term_days = (commitment.ends_on - commitment.starts_on).days + 1
            expected_use = min(balance.burn_per_day * term_days, balance.granted)
            expected_breakage = balance.granted - expected_use
            if expected_breakage > 0 and expected_use > 0:
                share = min(balance.used / expected_use, Decimal(1))
                breakage = round_money(expected_breakage * share, currency)
        paid_for = balance.granted
        if commitment.payment_plan == PaymentPlan.INSTALLMENTS:
            # Usage draws on the whole commitment; only what installments invoiced is a
            # liability, and usage ahead of them is earned but not yet billed.
            paid_for = invoiced.get(commitment.pk, ZERO)
        unearned = paid_for - balance.used - breakage - balance.rolled_over
        rows.append(
            CommitmentRevenue(
                commitment.pk,
                currency,
                balance.used,
                breakage,
                max(unearned, ZERO),
                policy,
                contract_asset=max(-unearned, ZERO),
            )
        )
    return rows


def _installments_invoiced(commitments, as_of: date) -> dict[int, Decimal]:
    rows = (
        CommitmentInstallment.objects.filter(
            commitment__in=[c.pk for c in commitments],
            invoice_line__invoice__invoice_date__lte=as_of,
        )
        .exclude(invoice_line__invoice__status=InvoiceStatus.VOID)
        .values_list("commitment_id", "amount")
    )
    invoiced: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for commitment_id, amount in rows:
        invoiced[commitment_id] += amount
    return invoiced


# --- Revenue events for the waterfall, balances and journal (`billing.revenue`) -------------


@dataclass(frozen=True)
class RevenueEvent:
    contract_id: int
    product_id: int
    recognition_date: date
    amount: Decimal


def usage_revenue_events(*, as_of: date, contracts) -> list[tuple[int, int, date, Decimal]]:
    """Revenue of rate-card usage and of commitments through `as_of`, as
    `(contract id, product id, date, amount)`; registered in
    `billing.revenue.selectors.balances.USAGE_REVENUE`. What it recognises:

    - usage as consumed: per usage billing period and month, the period's usage to the end
      of the month priced as the invoice prices it (per tier, each part rounded), less
      what earlier months recognised; a billed period adds up to its usage lines, late
      usage included; a tax-inclusive contract's usage is net of the tax its gross
      includes, split as its invoice splits it, and trued up to the net invoiced on the
      invoice date;
    - overage surcharges, with the period they were billed for;
    - promotional credits: their drawdowns reduce the usage revenue (a price reduction);
    - prepaid commitments and credits: no revenue when invoiced (a contract liability
      that usage draws down); breakage of what goes unused per `breakage_policy()`: at
      expiry, or in proportion to the pattern of use, month by month;
    - postpaid minimums: the true-up when the period ends.
    Prepayment, drawdown and rollover lines move the liability only. On a tax-inclusive
    contract every one of these is net of tax, estimated then trued up to the net
    invoiced (`billing.revenue.inclusive_net`, `revenue_inclusive`)."""
    # The contracts as a subquery: a book of 10k contracts without usage prices answers
    # at once, where a list of every id cost the revenue pages 0.2 s (issue 20).
    prices = defaultdict(list)
    for price in UsagePrice.objects.filter(contract__in=contracts).select_related(
        "contract_line__contract__account"
    ):
        prices[price.contract_line_id].append(price)
    if not prices:
        return []
    contract_ids = list(contracts.values_list("pk", flat=True))
    product_of_contract = {}
    for line_prices in prices.values():
        line = line_prices[0].contract_line
        product_of_contract.setdefault(line.contract_id, line.product_id)
    events = _consumption(as_of, prices)
    events += _commitment_events(as_of, contract_ids, product_of_contract)
    events += _overage(as_of, contract_ids)
    return [(e.contract_id, e.product_id, e.recognition_date, e.amount) for e in events if e.amount]


def _consumption(as_of: date, prices) -> list[RevenueEvent]:
    periods = BillingScheduleLine.objects.filter(
        kind=ScheduleLineKind.USAGE, contract_line_id__in=list(prices), period_start__lte=as_of
    ).values_list("pk", "contract_id", "contract_line_id", "period_start", "period_end", "currency")
    periods = list(periods)
    if not periods:
        return []
    rollups = defaultdict(list)
    for contract_id, metric, day, quantity in (
        DailyUsage.objects.filter(contract_id__in={p[1] for p in periods}, usage_date__lte=as_of)
        .order_by("usage_date")
        .values_list("contract_id", "metric", "usage_date", "quantity")
    ):
        rollups[(contract_id, metric)].append((day, quantity))
    invoiced = _invoiced_net(as_of, [p for p in periods if _inclusive(prices[p[2]])])
    rates: dict[int, IncludedRates] = {}
    events = []
    for schedule_id, contract_id, line_id, start, end, currency in periods:
        line_prices = prices[line_id]
        contract = line_prices[0].contract_line.contract
        product_id = line_prices[0].contract_line.product_id
        by_metric = {
            metric: [(d, q) for d, q in rollups.get((contract_id, metric), []) if start <= d <= end]
            for metric in {p.metric for p in line_prices}
        }
        previous = ZERO
        for _, month_last in month_periods(start, min(end, as_of)):
            # One part per invoice line (tier, rate segment, metric), each rounded alone.
            parts = [
                round_money(part.amount, currency)
                for metric, days in by_metric.items()
                for segment in price_period(
                    [p for p in line_prices if p.metric == metric],
                    [(d, q) for d, q in days if d <= month_last],
                )
                for part in segment.parts
            ]
            to_date = gross = sum(parts, ZERO)
            if contract.prices_include_tax:
                # The estimated net: each line's gross split as its invoice will split it.
                rate = rates.setdefault(contract.pk, IncludedRates(contract))
                to_date = sum(rate.nets(parts, month_last), ZERO)
            if to_date != previous:
                events.append(RevenueEvent(contract_id, product_id, month_last, to_date - previous))
            previous = to_date
        # All of the period's usage is invoiced: its invoices fix the net (their rate, their
        # date), and the estimate is trued up to it on the latest invoice date. Late usage
        # not yet invoiced keeps the estimate until it is.
        done = settled(gross, invoiced.get(schedule_id)) if end <= as_of else None
        if done is not None and done.net != previous:
            events.append(
                RevenueEvent(contract_id, product_id, done.invoice_date, done.net - previous)
            )
    return events


def _inclusive(line_prices) -> bool:
    return line_prices[0].contract_line.contract.prices_include_tax


def _invoiced_net(as_of: date, periods) -> dict[int, Invoiced]:
    """Usage schedule line -> its invoice lines as invoiced (`inclusive_net.Invoiced`).
    The first tier line points at the schedule line, the other tiers name it in their
    explanation, and a late usage adjustment has its contract line and period.
    Commitment drawdowns and overage are not consumption: left out."""
    if not periods:
        return {}
    schedule_ids = [p[0] for p in periods]
    by_period = {(line_id, start, end): pk for pk, _, line_id, start, end, _ in periods}
    lines = (
        InvoiceLine.objects.filter(
            Q(schedule_line_id__in=schedule_ids)
            | Q(explanation__schedule_line__in=schedule_ids)
            | Q(
                contract_line_id__in={p[2] for p in periods},
                explanation__source="late usage adjustment",
            ),
            invoice__number__isnull=False,
            invoice__status__in=INVOICED_STATUSES,
            invoice__invoice_date__lte=as_of,
        )
        .exclude(explanation__has_key="commitment")
        .values_list(
            "schedule_line_id",
            "explanation",
            "contract_line_id",
            "period_start",
            "period_end",
            "amount",
            "tax_amount",
            "invoice__invoice_date",
        )
    )
    keyed = (
        (
            schedule_id
            or (explanation or {}).get("schedule_line")
            or by_period.get((line_id, start, end)),
            amount,
            tax,
            invoice_date,
        )
        for schedule_id, explanation, line_id, start, end, amount, tax, invoice_date in lines
    )
    return invoiced_by_key(row for row in keyed if row[0] is not None)


def _commitment_events(as_of: date, contract_ids, product_of_contract) -> list[RevenueEvent]:
    commitments = list(
        Commitment.objects.filter(
            contract_id__in=contract_ids, starts_on__lte=as_of
        ).select_related("contract__account")
    )
    if not commitments:
        return []
    policy = breakage_policy()
    gross: list[GrossEvent] = []
    entries = LedgerEntry.objects.filter(
        commitment__in=commitments, effective_date__lte=as_of
    ).select_related("commitment__contract__account")
    for entry in entries:
        commitment = entry.commitment
        if commitment.contract_id not in product_of_contract:
            continue
        kind = commitment.kind
        promo_draw = kind == CommitmentKind.PROMOTIONAL_CREDIT and entry.kind == EntryKind.DRAWDOWN
        true_up = kind == CommitmentKind.POSTPAID_COMMIT and entry.kind == EntryKind.TRUE_UP
        expiry = (
            policy == "expiry"
            and kind in (CommitmentKind.PREPAID_COMMIT, CommitmentKind.PREPAID_CREDIT)
            and entry.kind == EntryKind.EXPIRY
        )
        if promo_draw or true_up or expiry:
            amount = entry.amount if promo_draw else -entry.amount
            gross.append(
                GrossEvent(
                    commitment,
                    entry.effective_date,
                    amount,
                    invoice_line_id=None if expiry else entry.invoice_line_id,
                    breakage=expiry,
                )
            )
    if policy == "proportional":
        gross += _proportional_breakage(as_of, commitments, product_of_contract)
    # A tax-inclusive contract's ledger is gross; its revenue is net (one definition:
    # billing.revenue.inclusive_net).
    inclusive = [e for e in gross if e.commitment.contract.prices_include_tax]
    prepaid = [
        c
        for c in commitments
        if c.contract.prices_include_tax
        and c.is_prepaid
        and c.kind != CommitmentKind.PROMOTIONAL_CREDIT
        and c.contract_id in product_of_contract
    ]
    events = [
        RevenueEvent(
            e.commitment.contract_id,
            product_of_contract[e.commitment.contract_id],
            e.recognition_date,
            e.amount,
        )
        for e in gross
        if not e.commitment.contract.prices_include_tax
    ]
    events += [
        RevenueEvent(c.contract_id, product_of_contract[c.contract_id], day, amount)
        for c, day, amount in net_commitment_events(as_of, inclusive, prepaid)
    ]
    return events


def _proportional_breakage(as_of: date, commitments, product_of_contract) -> list[GrossEvent]:
    """Breakage recognised to date at each month end (and at expiry), as `commitment_revenue`
    computes it on that date; each month gets the difference."""
    prepaid = [
        c
        for c in commitments
        if c.kind in (CommitmentKind.PREPAID_COMMIT, CommitmentKind.PREPAID_CREDIT)
        and c.contract_id in product_of_contract
    ]
    events = []
    for commitment in prepaid:
        previous = ZERO
        for _, month_last in month_periods(commitment.starts_on, min(commitment.ends_on, as_of)):
            (row,) = commitment_revenue([commitment], month_last)
            if row.breakage_revenue != previous:
                events.append(
                    GrossEvent(
                        commitment,
                        month_last,
                        row.breakage_revenue - previous,
                        breakage=True,
                    )
                )
            previous = row.breakage_revenue
    return events


def _overage(as_of: date, contract_ids) -> list[RevenueEvent]:
    """Overage surcharges as invoiced, dated at the end of the period they charge for."""
    lines = InvoiceLine.objects.filter(
        invoice__contract_id__in=contract_ids,
        invoice__number__isnull=False,
        invoice__status__in=[InvoiceStatus.ISSUED, InvoiceStatus.VOID],
        invoice__invoice_date__lte=as_of,
        explanation__revenue="overage",
    ).values_list("invoice__contract_id", "contract_line__product_id", "period_end", "amount")
    return [
        RevenueEvent(contract_id, product_id, period_end, amount)
        for contract_id, product_id, period_end, amount in lines
    ]
