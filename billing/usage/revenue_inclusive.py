"""Commitment and credit revenue of a tax-inclusive contract, net of the tax it includes,
as `billing.revenue.inclusive_net` defines it for every tax-inclusive figure.

The ledger counts gross (a prepayment of 1,190.00 with VAT included grants 1,190.00 that
usage draws down at gross rates); revenue is net:

- a promotional credit's drawdown and a postpaid minimum's true-up are each an invoice
  line: estimated net when they happen, trued up to their line's net when it is issued;
- breakage of a prepaid balance (at expiry, or in proportion to use) is what the
  commitment was invoiced, net, less the net of the drawdown lines that took usage off
  those invoices: estimated net as it is recognised, and trued up on the latest of those
  invoices' dates once every prepayment, installment and drawdown line is issued. A
  balance rolled over moves its estimated net (the rate on the old period's last day).
So recognised revenue ends at the net invoiced to the cent, and the liability at zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from billing.models import InvoiceLine
from billing.revenue.inclusive_net import (
    INVOICED_STATUSES,
    IncludedRates,
    Invoiced,
    invoiced_by_key,
    settled,
)
from billing.usage.models import CommitmentInstallment, EntryKind, LedgerEntry, PaymentPlan

ZERO = Decimal(0)


@dataclass(frozen=True)
class GrossEvent:
    """Commitment revenue as the ledger counts it (gross on a tax-inclusive contract)."""

    commitment: object
    recognition_date: date
    amount: Decimal
    invoice_line_id: int | None = None  # a drawdown or true-up line that bills it
    breakage: bool = False


def net_commitment_events(as_of: date, events: list[GrossEvent], prepaid: list) -> list[tuple]:
    """[(commitment, date, net amount)]: each gross event at its estimated net, and the
    true-ups to the net invoiced. `prepaid`: the contracts' prepaid commitments and
    credits; one used up exactly has no breakage, but the cents its prepayment's net and
    its drawdowns' nets differ by are still trued up when it ends."""
    rates: dict[int, IncludedRates] = {}
    result = []
    by_line: dict[int, list[tuple[Decimal, Decimal, object]]] = defaultdict(list)
    breakage: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e.recognition_date):
        commitment = event.commitment
        contract = commitment.contract
        rate = rates.setdefault(contract.pk, IncludedRates(contract))
        if event.breakage:
            breakage[commitment.pk].append((event.recognition_date, event.amount))
            continue
        net = rate.net(event.amount, event.recognition_date)
        result.append((commitment, event.recognition_date, net))
        if event.invoice_line_id is not None:
            by_line[event.invoice_line_id].append((event.amount, net, commitment))
    invoiced = _invoiced_lines(as_of, list(by_line))
    for line_id, parts in by_line.items():
        gross = sum((g for g, _, _ in parts), ZERO)
        estimate = sum((n for _, n, _ in parts), ZERO)
        done = settled(gross, invoiced.get(line_id))
        if done is not None and done.net != estimate:
            result.append((parts[0][2], done.invoice_date, done.net - estimate))
    for commitment in prepaid:
        rate = rates.setdefault(commitment.contract_id, IncludedRates(commitment.contract))
        result += _breakage(as_of, commitment, breakage.get(commitment.pk, []), rate)
    return result


def _breakage(as_of: date, commitment, parts, rate: IncludedRates) -> list[tuple]:
    """Breakage recognised to date at its cumulative estimated net (each event the
    difference), then trued up once all of the commitment's lines are invoiced."""
    result = []
    gross_to_date = previous = ZERO
    for day, amount in parts:
        gross_to_date += amount
        net_to_date = rate.net(gross_to_date, day)
        if net_to_date != previous:
            result.append((commitment, day, net_to_date - previous))
        previous = net_to_date
    if commitment.ends_on > as_of:
        return result
    rolled = _rolled_over(commitment, rate)
    invoiced = _commitment_invoiced(as_of, commitment)
    if invoiced is None:
        return result
    done = settled(
        gross_to_date,
        Invoiced(invoiced.net + rolled.net, invoiced.gross + rolled.gross, invoiced.invoice_date),
    )
    if done is not None and done.net != previous:
        day = max(done.invoice_date, commitment.ends_on)
        result.append((commitment, day, done.net - previous))
    return result


def _rolled_over(commitment, rate: IncludedRates) -> Invoiced:
    """Balances rolled in (+) and out (−), at their estimated net on the day the old
    period ends, so the two commitments move the same net."""
    net = gross = ZERO
    for kind, day, amount in LedgerEntry.objects.filter(
        commitment=commitment, kind__in=[EntryKind.ROLLOVER_IN, EntryKind.ROLLOVER_OUT]
    ).values_list("kind", "effective_date", "amount"):
        on = day - timedelta(days=1) if kind == EntryKind.ROLLOVER_IN else day
        net += rate.net(amount, on)
        gross += amount
    return Invoiced(net, gross, date.min)


def _commitment_invoiced(as_of: date, commitment) -> Invoiced | None:
    """Net and gross invoiced for the commitment (prepayment or installments, less the
    drawdown lines), once every one of those lines is on an issued invoice."""
    entries = list(
        LedgerEntry.objects.filter(
            commitment=commitment, kind__in=[EntryKind.GRANT, EntryKind.DRAWDOWN]
        ).values_list("kind", "invoice_line_id")
    )
    if commitment.payment_plan == PaymentPlan.INSTALLMENTS:
        paying = list(
            CommitmentInstallment.objects.filter(commitment=commitment).values_list(
                "invoice_line_id", flat=True
            )
        )
    else:  # paid up front (a rolled-over balance has no grant: its rollover is its pay)
        paying = [line for kind, line in entries if kind == EntryKind.GRANT]
    drawing = [line for kind, line in entries if kind == EntryKind.DRAWDOWN]
    lines = set(paying) | set(drawing)
    if None in lines:
        return None
    rows = InvoiceLine.objects.filter(
        pk__in=lines,
        invoice__number__isnull=False,
        invoice__status__in=INVOICED_STATUSES,
        invoice__invoice_date__lte=as_of,
    ).values_list("pk", "amount", "tax_amount", "invoice__invoice_date")
    rows = list(rows)
    if len(rows) != len(lines):
        return None
    # Drawdown lines are negative: the sum is what is left of the prepayment, net.
    totals = invoiced_by_key(("commitment", net, tax, day) for _, net, tax, day in rows)
    return totals.get("commitment", Invoiced(ZERO, ZERO, date.min))


def _invoiced_lines(as_of: date, line_ids: list[int]) -> dict[int, Invoiced]:
    if not line_ids:
        return {}
    rows = InvoiceLine.objects.filter(
        pk__in=line_ids,
        invoice__number__isnull=False,
        invoice__status__in=INVOICED_STATUSES,
        invoice__invoice_date__lte=as_of,
    ).values_list("pk", "amount", "tax_amount", "invoice__invoice_date")
    return invoiced_by_key(rows)
