"""Back-billing guard: what a contract would bill at once for periods already past.

One selector for the activation confirmation (admin), the billing run page and the API:
activating a contract that started in the past, or a billing run that would bill more than
one period of a contract at once, shows the catch-up (periods and amount) and the first
invoice (date and amount, before tax), and needs an explicit confirmation."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus
from billing.schedules.builder import build_schedule
from core.money import format_money
from ordermgmt.models import Contract, ContractStatus

BILLABLE = [ContractStatus.ACTIVE, ContractStatus.EXPIRED]


@dataclass
class CatchUpPeriod:
    line: str
    period_start: date
    period_end: date
    billing_date: date
    amount: Decimal


@dataclass
class CatchUp:
    contract_id: int
    reference: str
    currency: str
    as_of: date
    starts_in_past: bool
    periods: list[CatchUpPeriod] = field(default_factory=list)  # billed at once, past dates
    first_invoice_date: date | None = None
    first_invoice_amount: Decimal = Decimal(0)

    @property
    def amount(self) -> Decimal:
        return sum((p.amount for p in self.periods), Decimal(0))

    @property
    def period_count(self) -> int:
        return len({(p.period_start, p.period_end) for p in self.periods})

    @property
    def needs_confirmation(self) -> bool:
        return self.starts_in_past or self.period_count > 1

    def summary(self) -> str:
        text = (
            f"{self.reference}: {self.period_count} past period(s), catch-up "
            f"{format_money(self.amount, self.currency)}"
        )
        if self.periods:
            first, last = self.periods[0], self.periods[-1]
            text += f" ({first.period_start} – {last.period_end})"
        return text


def _entries(contract: Contract) -> list[tuple[str, date, date, date, Decimal]]:
    """(line, period start, end, billing date, amount) of what is still to bill, usage
    aside (unknown until used): the stored schedule, or the one activation would make."""
    stored = BillingScheduleLine.objects.filter(contract=contract)
    if stored.exists():
        rows = stored.filter(status=ScheduleLineStatus.PENDING).exclude(kind=ScheduleLineKind.USAGE)
        return [
            (
                str(r.contract_line.product.sku),
                r.period_start,
                r.period_end,
                r.billing_date,
                r.amount or Decimal(0),
            )
            for r in rows.select_related("contract_line__product")
        ]
    return [
        (d.contract_line.product.sku, d.period_start, d.period_end, d.billing_date, d.amount)
        for d in build_schedule(contract)
        if d.amount is not None
    ]


def catch_up_preview(*, contract: Contract, as_of: date | None = None) -> CatchUp:
    """What activating `contract` (or billing it on `as_of`) bills at once."""
    as_of = as_of or timezone.localdate()
    entries = sorted(_entries(contract), key=lambda e: (e[3], e[1], e[0]))
    catch_up = CatchUp(
        contract_id=contract.pk,
        reference=contract.reference,
        currency=contract.currency,
        as_of=as_of,
        # Only activation asks about the start: an active contract has its schedule.
        starts_in_past=contract.start_date < as_of and not contract.schedule_lines.exists(),
    )
    catch_up.periods = [CatchUpPeriod(*e) for e in entries if e[3] <= as_of]
    if catch_up.periods:
        catch_up.first_invoice_date = as_of
    elif entries:
        catch_up.first_invoice_date = entries[0][3]
    if catch_up.first_invoice_date is not None:
        catch_up.first_invoice_amount = sum(
            (e[4] for e in entries if e[3] <= catch_up.first_invoice_date), Decimal(0)
        )
    return catch_up


def run_catch_ups(*, run_date: date) -> list[CatchUp]:
    """Contracts a billing run on `run_date` would bill for more than one period at once."""
    due = (
        BillingScheduleLine.objects.filter(
            status=ScheduleLineStatus.PENDING,
            billing_date__lte=run_date,
            contract__status__in=BILLABLE,
        )
        .exclude(kind=ScheduleLineKind.USAGE)
        .select_related("contract", "contract_line__product")
        .order_by("contract_id", "billing_date", "period_start", "id")
    )
    by_contract: dict[int, list[BillingScheduleLine]] = defaultdict(list)
    for row in due:
        by_contract[row.contract_id].append(row)
    result = []
    for rows in by_contract.values():
        if len({(r.period_start, r.period_end) for r in rows if r.kind == "recurring"}) <= 1:
            continue
        contract = rows[0].contract
        result.append(
            CatchUp(
                contract_id=contract.pk,
                reference=contract.reference,
                currency=contract.currency,
                as_of=run_date,
                starts_in_past=False,
                periods=[
                    CatchUpPeriod(
                        r.contract_line.product.sku,
                        r.period_start,
                        r.period_end,
                        r.billing_date,
                        r.amount or Decimal(0),
                    )
                    for r in rows
                ],
                first_invoice_date=run_date,
                first_invoice_amount=sum((r.amount or Decimal(0) for r in rows), Decimal(0)),
            )
        )
    return result
