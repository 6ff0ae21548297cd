"""What a change order does to a contract's billing schedule (no writes here).

Each affected line is looked at day by day, on the contract's own billing grid:

- *paid days* of a line: the days of its billed subscription periods and of its debits,
  less the days already credited;
- *credit*: paid days the line no longer serves (it ended, or the term shrank) are
  credited at the rate they were billed at, one credit line per billed period touched;
- each period the line now serves (built by billing.schedules.builder, so co-termed on
  the grid and prorated by the contract's day-count convention) is then
  - kept or planned as an ordinary schedule line when none of its days was billed, on
    this line or on the line it replaces;
  - skipped when all of its days are paid (on this line, or on the replaced line when
    there is no proration);
  - otherwise billed by a debit for its unpaid days at the new terms.

A credit of a whole billed period is exactly its billed amount; any other span is the
annual net price x its length in years under the convention, rounded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus
from billing.schedules.builder import (
    ScheduleDraft,
    build_line_schedule,
    grid_for,
    net_price,
)
from billing.schedules.periods import BillingPeriod, billing_periods, to_decimal
from core.money import format_money, round_money
from ordermgmt.models import Contract, ContractChange, ContractLine, ProrationBehavior

CREDIT = ScheduleLineKind.PRORATION_CREDIT
DEBIT = ScheduleLineKind.PRORATION_DEBIT


def days_of(start: date, end: date) -> set[date]:
    return {start + timedelta(days=n) for n in range((end - start).days + 1)}


def runs_of(days: set[date]) -> list[tuple[date, date]]:
    """Contiguous stretches of a set of days, in order."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def span_periods(contract: Contract, start: date, end: date) -> list[BillingPeriod]:
    """The grid periods (clipped) a stretch of days covers; a whole-term grid counts in
    months, as the builder prices it."""
    months, grid_start = grid_for(contract)
    return billing_periods(
        term_start=start,
        term_end=end,
        months=months or 1,
        grid_start=grid_start,
        convention=contract.day_count_convention,
    )


def window(contract: Contract, line: ContractLine) -> set[date]:
    start = max(line.service_start or contract.start_date, contract.start_date)
    end = min(line.service_end or contract.end_date, contract.end_date)
    return days_of(start, end) if end >= start else set()


@dataclass
class LineBilling:
    """What was billed for one contract line, day by day."""

    sources: list[BillingScheduleLine]  # billed periods and debits, in date order
    paid: set[date]
    ever: set[date]  # billed at some point, credits not taken off

    @classmethod
    def of(cls, line: ContractLine) -> LineBilling:
        rows = list(
            BillingScheduleLine.objects.filter(contract_line=line)
            .exclude(status=ScheduleLineStatus.CANCELLED)
            .filter(kind__in=[ScheduleLineKind.RECURRING, CREDIT, DEBIT])
            .order_by("period_start", "id")
        )
        sources = [
            r
            for r in rows
            if r.kind == DEBIT
            or (r.kind == ScheduleLineKind.RECURRING and r.status == ScheduleLineStatus.BILLED)
        ]
        ever: set[date] = set()
        for row in sources:
            ever |= days_of(row.period_start, row.period_end)
        paid = set(ever)
        for row in rows:
            if row.kind == CREDIT:
                paid -= days_of(row.period_start, row.period_end)
        return cls(sources, paid, ever)


@dataclass
class SchedulePlan:
    credits: list[BillingScheduleLine] = field(default_factory=list)
    debits: list[BillingScheduleLine] = field(default_factory=list)
    regular: list[BillingScheduleLine] = field(default_factory=list)
    cancel: list[BillingScheduleLine] = field(default_factory=list)

    @property
    def prorations(self) -> list[BillingScheduleLine]:
        return self.credits + self.debits


def _share(periods: list[BillingPeriod]) -> str:
    parts = []
    for period in periods:
        part = f"{period.months}/12 year"
        if period.is_partial:
            part += f" × {period.days}/{period.period_days} days"
        parts.append(part)
    return " + ".join(parts)


def _span_amount(annual: Decimal, periods: list[BillingPeriod], currency: str) -> Decimal:
    years = sum((p.years for p in periods), Fraction(0))
    return round_money(annual * to_decimal(years), currency)


def _explanation(
    *,
    contract: Contract,
    change: ContractChange,
    source: str,
    start: date,
    end: date,
    periods: list[BillingPeriod],
    quantity: Decimal,
    unit_price: Decimal,
    amount: Decimal,
    old_rate: Decimal,
    new_rate: Decimal,
    sign: str,
) -> dict:
    currency = contract.currency
    annual = quantity * unit_price
    days = sum(p.days for p in periods)
    period_days = sum(p.period_days for p in periods)
    return {
        "source": source,
        "change_order": change.pk,
        "change_kind": change.kind,
        "period": f"{start} – {end}",
        "formula": (
            f"{sign}{quantity.normalize():f} × {format_money(unit_price, currency)} = "
            f"{format_money(annual, currency)} a year × {_share(periods)} = "
            f"{format_money(amount, currency)}"
        ),
        "old_rate": f"{format_money(old_rate, currency)} a year",
        "new_rate": f"{format_money(new_rate, currency)} a year",
        "annual_net": str(annual),
        "days": days,
        "period_days": period_days,
        "convention": periods[0].convention_name if periods else "",
        "day_count": "; ".join(p.convention_label for p in periods),
        "prorated": True,
        "amount": str(amount),
    }


def annual_rate(line: ContractLine | None) -> Decimal:
    if line is None:
        return Decimal(0)
    return line.quantity * net_price(line.unit_price, line.discount_percent)


def _row(contract, line, kind, start, end, quantity, unit_price, amount, explanation, change):
    return BillingScheduleLine(
        contract=contract,
        contract_line=line,
        kind=kind,
        sequence=0,  # numbered when written
        period_start=start,
        period_end=end,
        billing_date=start,  # set per the proration behaviour when written
        currency=contract.currency,
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        day_count_convention=contract.day_count_convention,
        explanation=explanation,
        change_order=change,
    )


def plan_credits(
    contract: Contract, line: ContractLine, change: ContractChange, billing: LineBilling
) -> list[BillingScheduleLine]:
    """Credits for the paid days the line no longer serves, at the rates they were billed."""
    if change.proration_behavior == ProrationBehavior.NONE:
        return []
    unused = billing.paid - window(contract, line)
    replacement = getattr(change, "new_line", None) if change.line_id == line.pk else line
    credits = []
    for source in billing.sources:
        source_days = days_of(source.period_start, source.period_end)
        taken = source_days & unused
        unused -= taken
        for start, end in runs_of(taken):
            periods = span_periods(contract, start, end)
            whole = days_of(start, end) == source_days and source_days <= billing.paid
            amount = -(
                source.amount
                if whole
                else _span_amount(source.quantity * source.unit_price, periods, contract.currency)
            )
            credits.append(
                _row(
                    contract,
                    line,
                    CREDIT,
                    start,
                    end,
                    source.quantity,
                    source.unit_price,
                    amount,
                    _explanation(
                        contract=contract,
                        change=change,
                        source=f"{change.reference}: credit for the unused time of the old terms",
                        start=start,
                        end=end,
                        periods=periods,
                        quantity=source.quantity,
                        unit_price=source.unit_price,
                        amount=amount,
                        old_rate=source.quantity * source.unit_price,
                        new_rate=annual_rate(replacement),
                        sign="−",
                    ),
                    change,
                )
            )
    return credits


def plan_line(
    contract: Contract,
    line: ContractLine,
    change: ContractChange,
    billing: LineBilling,
    replaced: tuple[ContractLine, LineBilling] | None,
) -> SchedulePlan:
    """Ordinary lines, debits and cancellations for the periods the line now serves.
    `billing` and `replaced` are read after this change's credits are counted."""
    plan = SchedulePlan()
    paid = set(billing.paid)
    reference: set[date] = set()
    if replaced is not None:
        old_line, old_billing = replaced
        paid |= old_billing.paid - window(contract, old_line)  # not credited: still paid
        reference = old_billing.ever & window(contract, line)
    pending = list(
        BillingScheduleLine.objects.filter(
            contract_line=line, kind=ScheduleLineKind.RECURRING, status=ScheduleLineStatus.PENDING
        )
    )
    kept: set[int] = set()
    drafts = [
        d for d in build_line_schedule(contract, line) if d.kind == ScheduleLineKind.RECURRING
    ]
    for draft in drafts:
        period = days_of(draft.period_start, draft.period_end)
        got = period & paid
        if not (got or period & reference or period & billing.ever):
            same = _same_pending(pending, draft, kept)
            if same is not None:
                kept.add(same.pk)
            else:
                plan.regular.append(_from_draft(contract, draft, change))
            continue
        if got == period or change.proration_behavior == ProrationBehavior.NONE:
            continue
        for start, end in runs_of(period - got):
            plan.debits.append(_debit(contract, line, change, draft, start, end, replaced))
    plan.cancel = [row for row in pending if row.pk not in kept]
    return plan


def _same_pending(
    pending: list[BillingScheduleLine], draft: ScheduleDraft, kept: set[int]
) -> BillingScheduleLine | None:
    for row in pending:
        if row.pk not in kept and (
            row.period_start,
            row.period_end,
            row.billing_date,
            row.amount,
        ) == (draft.period_start, draft.period_end, draft.billing_date, draft.amount):
            return row
    return None


def _from_draft(contract: Contract, draft: ScheduleDraft, change: ContractChange):
    row = _row(
        contract,
        draft.contract_line,
        draft.kind,
        draft.period_start,
        draft.period_end,
        draft.quantity,
        draft.unit_price,
        draft.amount,
        draft.explanation,
        change,
    )
    row.billing_date = draft.billing_date
    return row


def _debit(contract, line, change, draft, start, end, replaced) -> BillingScheduleLine:
    periods = span_periods(contract, start, end)
    whole = (start, end) == (draft.period_start, draft.period_end)
    annual = draft.quantity * draft.unit_price
    amount = draft.amount if whole else _span_amount(annual, periods, contract.currency)
    old_rate = annual_rate(replaced[0]) if replaced else annual
    return _row(
        contract,
        line,
        DEBIT,
        start,
        end,
        draft.quantity,
        draft.unit_price,
        amount,
        _explanation(
            contract=contract,
            change=change,
            source=f"{change.reference}: debit for the remaining time at the new terms",
            start=start,
            end=end,
            periods=periods,
            quantity=draft.quantity,
            unit_price=draft.unit_price,
            amount=amount,
            old_rate=old_rate,
            new_rate=annual,
            sign="",
        ),
        change,
    )
