"""What a change order does to a contract billed by a custom installment plan (no writes).

A plan bills a share of the contract's value on each of its dates, not periods of
service, so a change is priced by value, line by line (the line changed, ending the day
before the change, and the line carrying the new terms from it):

- value of a line = its net annual price x the years it serves (months on the contract's
  monthly grid, part-months by the contract's day-count convention), rounded once;
- what is left to bill = that value - what the line was already billed (its installments
  invoiced, and credits and debits of earlier changes);
- the plan's pending installments of the line are cancelled, and what is left is
  re-spread over the plan dates not billed yet, by their percentages (core.money.split:
  the parts add back exactly, the remainder on the last), so the plan totals the new
  contract value;
- what cannot be spread is a change-order line placed like any other (invoice now or
  on the next invoice): a *credit* when the line was billed more than its new value
  (the old terms end early), a *debit* when value is left and no plan date is.

As Zuora re-distributes an amended charge over the remaining periods of its billing
schedule; a credit larger than what is left to bill is refused by the caller and goes
to a credit note (see billing.services.change_orders).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus
from billing.schedules.builder import grid_for, net_price
from billing.schedules.changes import CREDIT, DEBIT, SchedulePlan, _row, window
from billing.schedules.periods import billing_periods, to_decimal
from core.money import format_money, round_money, split
from ordermgmt.models import Contract, ContractChange, ContractLine

INSTALLMENT = ScheduleLineKind.INSTALLMENT
ZERO = Decimal(0)


def line_value(contract: Contract, line: ContractLine) -> tuple[Decimal, Fraction]:
    """(value, years) of the days the line serves."""
    days = window(contract, line)
    if not days:
        return ZERO, Fraction(0)
    _, grid_start = grid_for(contract)
    periods = billing_periods(
        term_start=min(days),
        term_end=max(days),
        months=1,
        grid_start=grid_start,
        convention=contract.day_count_convention,
    )
    years = sum((p.years for p in periods), Fraction(0))
    annual = line.quantity * net_price(line.unit_price, line.discount_percent)
    return round_money(annual * to_decimal(years), contract.currency), years


def open_plan_dates(contract: Contract) -> list[tuple[date, Decimal]]:
    """The plan's dates no installment was billed on yet, with their percentages."""
    billed = set(
        BillingScheduleLine.objects.filter(
            contract=contract, kind=INSTALLMENT, status=ScheduleLineStatus.BILLED
        ).values_list("billing_date", flat=True)
    )
    items = sorted(
        (date.fromisoformat(str(i["billing_date"])), Decimal(str(i["percent"])))
        for i in contract.custom_billing_plan
    )
    return [(day, percent) for day, percent in items if day not in billed]


def plan_custom_change(
    contract: Contract, change: ContractChange, lines: list[ContractLine]
) -> SchedulePlan:
    plan = SchedulePlan()
    open_dates = open_plan_dates(contract)
    for line in lines:
        rows = list(
            BillingScheduleLine.objects.filter(contract_line=line).exclude(
                status=ScheduleLineStatus.CANCELLED
            )
        )
        pending = [
            r for r in rows if r.kind == INSTALLMENT and r.status == ScheduleLineStatus.PENDING
        ]
        billed = sum((r.amount for r in rows if r not in pending), ZERO)
        value, years = line_value(contract, line)
        left = value - billed
        plan.cancel += pending
        why = _why(contract, change, line, value, years, billed, left)
        if left > 0 and open_dates:
            plan.regular += _respread(contract, change, line, left, open_dates, why)
        elif left:
            kind = CREDIT if left < 0 else DEBIT
            row = _row(
                contract,
                line,
                kind,
                *_served(contract, line, change),
                line.quantity,
                net_price(line.unit_price, line.discount_percent),
                left,
                why,
                change,
            )
            (plan.credits if left < 0 else plan.debits).append(row)
    return plan


def _served(contract: Contract, line: ContractLine, change: ContractChange) -> tuple[date, date]:
    days = window(contract, line)
    if days:
        return min(days), max(days)
    return change.effective_date, change.effective_date


def _respread(contract, change, line, left, open_dates, why) -> list[BillingScheduleLine]:
    percents = [percent for _, percent in open_dates]
    amounts = split(left, percents, contract.currency)
    share = sum(percents, ZERO)
    start, end = _served(contract, line, change)
    rows = []
    for (day, percent), amount in zip(open_dates, amounts, strict=True):
        row = _row(
            contract,
            line,
            INSTALLMENT,
            start,
            end,
            line.quantity,
            net_price(line.unit_price, line.discount_percent),
            amount,
            {
                **why,
                "source": f"{change.reference}: installment re-spread over the plan's "
                "dates not yet billed",
                "share": f"{percent.normalize():f}% of the {share.normalize():f}% left",
                "amount": str(amount),
            },
            change,
        )
        row.billing_date = day
        rows.append(row)
    return rows


def _why(contract, change, line, value, years, billed, left) -> dict:
    currency = contract.currency
    unit = net_price(line.unit_price, line.discount_percent)
    annual = line.quantity * unit
    start, end = _served(contract, line, change)
    verb = "credit: billed beyond the old terms' new value" if left < 0 else "left to bill"
    return {
        "source": f"{change.reference}: {verb}",
        "change_order": change.pk,
        "change_kind": change.kind,
        "period": f"{start} – {end}",
        "formula": (
            f"{line.quantity.normalize():f} × {format_money(unit, currency)} = "
            f"{format_money(annual, currency)} a year × {years} year = "
            f"{format_money(value, currency)}; − billed {format_money(billed, currency)}"
            f" = {format_money(left, currency)}"
        ),
        "annual_net": str(annual),
        "value": str(value),
        "billed": str(billed),
        "convention": contract.day_count_convention,
        "amount": str(left),
    }
