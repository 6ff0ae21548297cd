"""The usage side of a billing run (registered in `billing.services.runs.USAGE_BILLING`).

For each contract of a chunk whose usage line has a rate card, the run asks this hook to:
1. price each due usage line from the daily rollups of its metrics in the service period
   (per rate segment and tier, `pricing.py`), rounded once for the line;
2. bill late usage: days of an already invoiced period whose rollup grew since are
   re-priced, and the difference is an adjustment line on this invoice (re-pricing the
   whole period keeps tiers right; the adjustments telescope, so a period is never billed
   twice);
3. draw the charges down from the contract's credits and commitments (ledger order), with
   a line per drawdown saying what is left, and an overage surcharge where a commitment
   prices overage above 100 %;
4. close commitments that ended before the run date (expiry, rollover or a true-up line);
5. after the invoice lines are written, record the ledger entries against them and mark
   the rollups billed.
Explanations carry `steps` (label, text) that the invoice's "why this amount" shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from billing.models import BillingScheduleLine, InvoiceLine, ScheduleLineKind, ScheduleLineStatus
from billing.services.invoicing import set_invoice_totals
from billing.services.tax import apply_line_taxes
from billing.usage.invoice_lines import (
    Extra,
    TierLine,
    installment_line,
    prepayment_line,
    tier_lines,
)
from billing.usage.models import (
    Commitment,
    CommitmentInstallment,
    CommitmentKind,
    DailyUsage,
    EntryKind,
    LedgerEntry,
    PaymentPlan,
)
from billing.usage.models import UsagePrice as Price
from billing.usage.pricing import billed_amount, price_period
from billing.usage.selectors import uninvoiced_installments
from billing.usage.services.alerts import send_balance_alerts
from billing.usage.services.ledger import CLOSING, balances, closable, close_commitment
from core.money import format_money, round_money

ZERO = Decimal(0)


@dataclass
class ContractPlan:
    contract: object
    explanations: dict[int, dict] = field(default_factory=dict)  # schedule line -> extra why
    tiers: dict[int, list[TierLine]] = field(default_factory=dict)  # schedule line -> its lines
    extras: list[Extra] = field(default_factory=list)
    billed_rollups: list[tuple[int, Decimal]] = field(default_factory=list)
    invoice_lines: list[InvoiceLine] = field(default_factory=list)


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


def _describe(priced, currency: str) -> list[list[str]]:
    steps = []
    for segment in priced:
        head = f"{segment.metric}, {segment.period[0]} – {segment.period[1]}"
        for part in segment.parts:
            text = f"{part.quantity.normalize():f} × {currency} {part.unit_price.normalize():f}"
            if part.flat_amount:
                text += f" + {currency} {part.flat_amount.normalize():f} flat"
            steps.append([f"{head} ({segment.pricing_model}: {part.label})", text])
    return steps


class UsageBilling:
    """Stateless between chunks; `prepare` loads what a chunk needs in a few queries."""

    def prepare(self, by_contract: dict[int, list[BillingScheduleLine]]) -> dict | None:
        usage_ids = [cid for cid, lines in by_contract.items() if any(_is_usage(x) for x in lines)]
        if not usage_ids:
            return None
        prices: dict[int, list[Price]] = defaultdict(list)
        for price in Price.objects.filter(contract_id__in=usage_ids):
            prices[price.contract_line_id].append(price)
        if not prices:
            return None
        last_day = max(x.period_end for cid in usage_ids for x in by_contract[cid])
        rollups: dict[tuple[int, str], list[DailyUsage]] = defaultdict(list)
        for row in DailyUsage.objects.filter(
            contract_id__in=usage_ids, usage_date__lte=last_day
        ).order_by("usage_date"):
            rollups[(row.contract_id, row.metric)].append(row)
        commitments = list(Commitment.objects.filter(contract_id__in=usage_ids))
        prepaid_up_front = [
            c.pk for c in commitments if c.is_prepaid and c.payment_plan == PaymentPlan.UP_FRONT
        ]
        return {
            "uninvoiced_grants": dict(
                LedgerEntry.objects.filter(
                    commitment_id__in=prepaid_up_front, kind=EntryKind.GRANT, invoice_line=None
                ).values_list("commitment_id", "pk")
            ),
            "installments": uninvoiced_installments(commitments),
            "prices": prices,
            "rollups": rollups,
            "commitments": commitments,
            "balances": balances(commitments),
        }

    def plan(self, *, state, contract, lines, amounts, quantities, run_date, dry_run):
        if state is None:
            return None
        usage = [x for x in lines if _is_usage(x) and state["prices"].get(x.contract_line_id)]
        if not usage:
            return None
        plan = ContractPlan(contract=contract)
        currency = contract.currency
        commitments = sorted(
            (c for c in state["commitments"] if c.contract_id == contract.pk),
            key=lambda c: (c.priority, c.ends_on, c.pk),
        )
        running = state["balances"]
        for commitment in commitments:
            grant = state["uninvoiced_grants"].get(commitment.pk)
            if grant is not None and commitment.starts_on <= run_date:
                plan.extras.append(prepayment_line(commitment, grant, usage[0].contract_line_id))
            for installment, of in state["installments"].get(commitment.pk, []):
                if installment.due_on <= run_date:
                    plan.extras.append(installment_line(installment, of, usage[0].contract_line_id))
        for line in usage:
            prices = state["prices"][line.contract_line_id]
            priced, rows = self._price(state, contract, prices, line.period_start, line.period_end)
            tiers = tier_lines(priced, currency)
            amounts[line.pk] = sum((tier.amount for tier in tiers), ZERO)
            quantities[line.pk] = sum((p.quantity for p in priced), ZERO)
            plan.billed_rollups.extend((row.pk, row.quantity) for row in rows)
            plan.tiers[line.pk] = tiers
            plan.explanations[line.pk] = {
                "source": "usage in arrears, from the rate card",
                "formula": f"daily usage {line.period_start} – {line.period_end} priced "
                "per metric and tier, one line per tier",
                "usage": [p.as_dict() for p in priced],
                "usage_total": str(amounts[line.pk]),
            }
            self._draw(plan, commitments, running, amounts[line.pk], line, currency)
        self._late_usage(state, plan, usage, commitments, running)
        if not dry_run and commitments:  # a contract without any has nothing to close
            self._close(plan, contract, commitments, running, run_date, usage)
        return plan

    def _price(self, state, contract, prices, start: date, end: date):
        priced, rows = [], []
        for metric in sorted({p.metric for p in prices}):
            days = [
                r
                for r in state["rollups"].get((contract.pk, metric), [])
                if start <= r.usage_date <= end
            ]
            rows.extend(days)
            metric_prices = [p for p in prices if p.metric == metric]
            priced.extend(price_period(metric_prices, [(r.usage_date, r.quantity) for r in days]))
        return priced, rows

    def _draw(self, plan, commitments, running, charge, line, currency, *, what="usage"):
        """Draws `charge` down in ledger order; adds the drawdown and overage lines."""
        remaining = charge
        period = (line.period_start, line.period_end)
        committed = None
        for commitment in commitments:
            if commitment.starts_on > line.period_end or commitment.ends_on < line.period_start:
                continue
            if commitment.kind in (CommitmentKind.PREPAID_COMMIT, CommitmentKind.POSTPAID_COMMIT):
                committed = commitment
            balance = running.get(commitment.pk, ZERO)
            take = min(balance, remaining)
            if take <= 0:
                continue
            remaining -= take
            running[commitment.pk] = balance - take
            left = running[commitment.pk]
            entry = LedgerEntry(
                commitment=commitment,
                kind=EntryKind.DRAWDOWN,
                effective_date=min(line.period_end, commitment.ends_on),
                amount=-take,
                currency=currency,
                explanation={"schedule_line": line.pk, "what": what, "left": str(left)},
            )
            prepaid = commitment.is_prepaid
            verb = "Drawn from" if prepaid else "Counted toward minimum"
            plan.extras.append(
                Extra(
                    description=f"{verb} {commitment.name}: {_money(take, currency)} "
                    f"({_money(left, currency)} of {_money(commitment.amount, currency)} left)",
                    amount=-take if prepaid else ZERO,
                    contract_line_id=line.contract_line_id,
                    period=period,
                    explanation={
                        "source": f"{commitment.get_kind_display()} drawdown",
                        "formula": f"min(balance {_money(balance, currency)}, {what} charge "
                        f"{_money(charge, currency)} not yet covered)",
                        "commitment": commitment.pk,
                        "steps": [
                            ["Balance before", _money(balance, currency)],
                            ["Drawn", _money(take, currency)],
                            ["Left", _money(left, currency)],
                            [
                                "Effect on this invoice",
                                "paid in advance: deducted"
                                if prepaid
                                else "postpaid minimum: the usage is invoiced; this counts it",
                            ],
                        ],
                    },
                    entries=[entry],
                )
            )
        if committed is not None and remaining > 0 and committed.overage_percent != 100:
            surcharge = round_money(remaining * (committed.overage_percent - 100) / 100, currency)
            if surcharge:
                percent = f"{committed.overage_percent.normalize():f}%"
                plan.extras.append(
                    Extra(
                        description=f"Overage beyond {committed.name}: "
                        f"{_money(remaining, currency)} at {percent} of the contracted rate",
                        amount=surcharge,
                        contract_line_id=line.contract_line_id,
                        period=period,
                        explanation={
                            "source": "overage after the commitment was used up",
                            "revenue": "overage",
                            "formula": f"{_money(remaining, currency)} × ({percent} − 100%)",
                            "commitment": committed.pk,
                            "exact": str(remaining * (committed.overage_percent - 100) / 100),
                            "amount": str(surcharge),
                        },
                    )
                )

    def _late_usage(self, state, plan, usage, commitments, running) -> None:
        contract = plan.contract
        currency = contract.currency
        for contract_line_id in {x.contract_line_id for x in usage}:
            first_due = min(x.period_start for x in usage if x.contract_line_id == contract_line_id)
            prices = state["prices"][contract_line_id]
            late_days = [
                r
                for metric in {p.metric for p in prices}
                for r in state["rollups"].get((contract.pk, metric), [])
                if r.usage_date < first_due and r.quantity > r.billed_quantity
            ]
            if not late_days:
                continue
            periods = BillingScheduleLine.objects.filter(
                contract_line_id=contract_line_id,
                kind=ScheduleLineKind.USAGE,
                status=ScheduleLineStatus.BILLED,
                period_start__lte=max(r.usage_date for r in late_days),
                period_end__gte=min(r.usage_date for r in late_days),
            ).select_related("invoice_line__invoice")
            for old in periods:
                priced, rows = self._price(
                    state, contract, prices, old.period_start, old.period_end
                )
                billed = [(r.usage_date, r.billed_quantity) for r in rows if r.billed_quantity]
                before = billed_amount(price_period(prices, billed), currency)
                after = billed_amount(priced, currency)
                late = sum((r.quantity - r.billed_quantity for r in rows), ZERO)
                plan.billed_rollups.extend((r.pk, r.quantity) for r in rows)
                if after == before:
                    continue
                invoice = old.invoice_line.invoice if old.invoice_line else None
                number = (
                    invoice.number or f"draft #{invoice.pk}" if invoice else "an earlier invoice"
                )
                plan.extras.append(
                    Extra(
                        description=f"Late usage for {old.period_start:%d %b %Y} – "
                        f"{old.period_end:%d %b %Y}: {late.normalize():f} units reported after "
                        f"invoice {number}",
                        amount=after - before,
                        contract_line_id=contract_line_id,
                        period=(old.period_start, old.period_end),
                        explanation={
                            "source": "late usage adjustment",
                            "formula": "period re-priced with the late usage, less what was "
                            "billed for it",
                            "late_quantity": str(late),
                            "steps": [
                                ["Billed before", _money(before, currency)],
                                ["Period re-priced", _money(after, currency)],
                                ["Adjustment", _money(after - before, currency)],
                                *_describe(priced, currency),
                            ],
                        },
                    )
                )
                if after > before:
                    self._draw(
                        plan, commitments, running, after - before, old, currency, what="late usage"
                    )

    def _close(self, plan, contract, commitments, running, run_date, usage) -> None:
        currency = contract.currency
        ended = closable([contract.pk], run_date, billing_now={x.pk for x in usage})
        for commitment in ended:
            entry = close_commitment(commitment, running.get(commitment.pk, ZERO))
            if entry is not None:
                running[commitment.pk] = ZERO
        # True-ups (made now or by the daily close-out) wait for this invoice.
        for entry in LedgerEntry.objects.filter(
            commitment__contract=contract, kind=EntryKind.TRUE_UP, invoice_line=None
        ).select_related("commitment"):
            commitment = entry.commitment
            shortfall = -entry.amount
            plan.extras.append(
                Extra(
                    description=f"True-up of {commitment.name}: unused minimum "
                    f"{_money(shortfall, currency)}",
                    amount=shortfall,
                    contract_line_id=None,
                    period=(commitment.starts_on, commitment.ends_on),
                    explanation={
                        "source": "minimum commitment true-up",
                        "formula": f"committed {_money(commitment.amount, currency)} − "
                        f"drawn {_money(commitment.amount - shortfall, currency)}",
                        "commitment": commitment.pk,
                        "steps": [
                            ["Committed", _money(commitment.amount, currency)],
                            ["Drawn by usage", _money(commitment.amount - shortfall, currency)],
                            ["Unused, invoiced", _money(shortfall, currency)],
                        ],
                    },
                    pending_entries=[entry.pk],
                )
            )

    def add_lines(self, plan, invoice, lines_for_invoice, tax_rate) -> None:
        """Adds the plan's lines to the unsaved invoice and recomputes its totals (tax as
        build_draft_invoice does it: one rate for the invoice, the invoice's rounding)."""
        exempt = invoice.account.tax_exempt
        tax_percent = ZERO if exempt or tax_rate is None else tax_rate.percent
        tax_rate = None if exempt else tax_rate
        mode = invoice.tax_rounding
        ordered: list[InvoiceLine] = []
        for line in lines_for_invoice:
            ordered.append(line)
            tiers = plan.tiers.get(line.schedule_line_id)
            if not tiers:
                continue
            base = line.description
            first, *rest = tiers
            line.explanation.update(plan.explanations[line.schedule_line_id])
            line.explanation.update(first.explanation)
            line.description = f"{base}{first.description}"[:300]
            line.quantity, line.unit_price = first.quantity, first.unit_price
            line.amount, line.tax_amount = first.amount, ZERO  # taxed again below
            for tier in rest:
                ordered.append(
                    InvoiceLine(
                        invoice=invoice,
                        contract_line_id=line.contract_line_id,
                        description=f"{base}{tier.description}"[:300],
                        period_start=line.period_start,
                        period_end=line.period_end,
                        quantity=tier.quantity,
                        unit_price=tier.unit_price,
                        amount=tier.amount,
                        tax_rate=tax_rate,
                        tax_percent=tax_percent,
                        explanation={"schedule_line": line.schedule_line_id, **tier.explanation},
                    )
                )
        for extra in plan.extras:
            extra.line = InvoiceLine(
                invoice=invoice,
                contract_line_id=extra.contract_line_id,
                description=extra.description[:300],
                period_start=extra.period[0] if extra.period else None,
                period_end=extra.period[1] if extra.period else None,
                quantity=extra.quantity,
                unit_price=extra.amount if extra.unit_price is None else extra.unit_price,
                amount=extra.amount,
                tax_rate=tax_rate,
                tax_percent=tax_percent,
                explanation=extra.explanation,
            )
            ordered.append(extra.line)
        for position, line in enumerate(ordered, start=1):
            line.position = position
        lines_for_invoice[:] = ordered
        apply_line_taxes(
            lines=lines_for_invoice,
            percent=tax_percent,
            currency=invoice.currency,
            mode=mode,
            prices_include_tax=invoice.prices_include_tax,
        )
        set_invoice_totals(invoice, lines_for_invoice)

    def write(self, plans: list[ContractPlan]) -> None:
        """After the invoice lines are inserted: ledger entries and billed rollups."""
        entries = []
        for plan in plans:
            for extra in plan.extras:
                for entry in extra.entries:
                    entry.invoice_line_id = extra.line.pk
                    entries.append(entry)
                if extra.pending_entries:
                    LedgerEntry.objects.filter(pk__in=extra.pending_entries).update(
                        invoice_line_id=extra.line.pk
                    )
                if extra.installments:
                    CommitmentInstallment.objects.filter(pk__in=extra.installments).update(
                        invoice_line_id=extra.line.pk
                    )
        LedgerEntry.objects.bulk_create(entries)
        if entries:  # thresholds crossed by these drawdowns: alerted after the chunk commits
            contract_ids = sorted({plan.contract.pk for plan in plans})
            as_of = max(entry.effective_date for entry in entries)
            transaction.on_commit(
                lambda: send_balance_alerts(as_of=as_of, contract_ids=contract_ids)
            )
        # A usage line's own invoice line holds its first tier: the schedule line keeps the
        # whole charge and quantity (the sum of its tier lines).
        totals = [
            (pk, sum((t.amount for t in tiers), ZERO), sum((t.units for t in tiers), ZERO))
            for plan in plans
            for pk, tiers in plan.tiers.items()
            if len(tiers) > 1
        ]
        _update_by_id(
            BillingScheduleLine, totals, ["amount", "quantity"], "invoice_line_id IS NOT NULL"
        )
        marks = dict(mark for plan in plans for mark in plan.billed_rollups)
        _update_by_id(DailyUsage, list(marks.items()), ["billed_quantity"])


def _update_by_id(model, rows: list[tuple], columns: list[str], condition: str = "") -> None:
    """Sets `columns` of the rows `(id, value, ...)`: one UPDATE ... FROM unnest on
    PostgreSQL (a bulk_update's CASE per row costs more to build than to run)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = model.objects.in_bulk([row[0] for row in rows])
        for pk, *values in rows:
            if pk in objects:
                for column, value in zip(columns, values, strict=True):
                    setattr(objects[pk], column, value)
        model.objects.bulk_update(objects.values(), columns, batch_size=500)
        return
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(c)} = v.c{i}" for i, c in enumerate(columns))
    arrays = ", ".join(["%s::bigint[]"] + ["%s::numeric[]"] * len(columns))
    names = ", ".join(["id"] + [f"c{i}" for i in range(len(columns))])
    where = f" AND t.{condition}" if condition else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {sets} "
            f"FROM unnest({arrays}) AS v({names}) WHERE t.id = v.id{where}",
            [list(column) for column in zip(*rows, strict=True)],
        )


def _is_usage(line: BillingScheduleLine) -> bool:
    return line.kind == ScheduleLineKind.USAGE


__all__ = ["CLOSING", "UsageBilling"]
