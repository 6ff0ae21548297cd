"""The billing effect of a change order (registered in ordermgmt's ON_CHANGE hooks, so it
runs in the change order's own transaction): credit and debit lines for periods already
billed, re-planned lines for periods not billed yet, placed as the change order asks:

- invoice_now: on a draft invoice made at once (the specialist reviews and issues it);
- next_invoice: on the contract's next billing date, so the next invoice nets them;
- none: no credit and no debit; the new terms start with the next unbilled period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import Max
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import (
    BillingScheduleLine,
    Invoice,
    ScheduleLineKind,
    ScheduleLineStatus,
)
from billing.schedules.changes import LineBilling, SchedulePlan, plan_credits, plan_line
from billing.schedules.plan_changes import plan_custom_change
from billing.services.invoicing import build_draft_invoice, default_legal_entity
from billing.services.tax import tax_rate_for
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import format_money
from ordermgmt.models import (
    ChangeKind,
    Contract,
    ContractChange,
    ContractLine,
    ProrationBehavior,
    RevenueType,
)


def invoiced_through(*, lines: list[ContractLine], day: date) -> date | None:
    """The last day these lines were invoiced for, if any billed period reaches `day`."""
    return (
        BillingScheduleLine.objects.filter(
            contract_line__in=lines, status=ScheduleLineStatus.BILLED, period_end__gte=day
        )
        .exclude(kind=ScheduleLineKind.USAGE)
        .aggregate(last=Max("period_end"))["last"]
    )


def _affected_lines(change: ContractChange, contract: Contract) -> list[ContractLine]:
    if change.kind == ChangeKind.TERM:
        return list(
            contract.lines.filter(product__revenue_type=RevenueType.SUBSCRIPTION)
            .select_related("product")
            .prefetch_related("ramp_steps")
        )
    return [line for line in (change.line, change.new_line) if line is not None]


def apply_change_to_schedule(*, change: ContractChange, actor=None) -> SchedulePlan:
    contract = Contract.objects.get(pk=change.contract_id)
    lines = _affected_lines(change, contract)
    if contract.billing_frequency == "custom":
        return _apply_to_custom_plan(change, contract, lines)
    total = SchedulePlan()
    for line in lines:
        credits = plan_credits(contract, line, change, LineBilling.of(line))
        _write(credits, contract)
        total.credits.extend(credits)
    for line in lines:
        replaced = None
        if line.replaces_id is not None and change.line_id == line.replaces_id:
            replaced = (change.line, LineBilling.of(change.line))
        plan = plan_line(contract, line, change, LineBilling.of(line), replaced)
        BillingScheduleLine.transition_rows(
            BillingScheduleLine.objects.filter(pk__in=[row.pk for row in plan.cancel]),
            from_status=ScheduleLineStatus.PENDING,
            to_status=ScheduleLineStatus.CANCELLED,
            change_order=change,
        )
        _write(plan.regular, contract)
        _write(plan.debits, contract)
        total.regular.extend(plan.regular)
        total.debits.extend(plan.debits)
        total.cancel.extend(plan.cancel)
    _place_prorations(change, contract, total)
    return total


def _apply_to_custom_plan(
    change: ContractChange, contract: Contract, lines: list[ContractLine]
) -> SchedulePlan:
    """A custom installment plan is re-spread by value (billing.schedules.plan_changes)."""
    plan = plan_custom_change(contract, change, lines)
    BillingScheduleLine.transition_rows(
        BillingScheduleLine.objects.filter(pk__in=[row.pk for row in plan.cancel]),
        from_status=ScheduleLineStatus.PENDING,
        to_status=ScheduleLineStatus.CANCELLED,
        change_order=change,
    )
    _write(plan.regular, contract)
    _write(plan.prorations, contract)
    _place_prorations(change, contract, plan)
    return plan


def _write(rows: list[BillingScheduleLine], contract: Contract) -> None:
    """Numbers each row after the last of its line and kind, then inserts them."""
    if not rows:
        return
    last: dict[tuple[int, str], int] = defaultdict(int)
    for line_id, kind, sequence in BillingScheduleLine.objects.filter(
        contract=contract
    ).values_list("contract_line_id", "kind", "sequence"):
        last[(line_id, kind)] = max(last[(line_id, kind)], sequence)
    for row in rows:
        key = (row.contract_line_id, row.kind)
        last[key] += 1
        row.sequence = last[key]
    BillingScheduleLine.objects.bulk_create(rows)


def _place_prorations(change: ContractChange, contract: Contract, plan: SchedulePlan) -> None:
    rows = plan.prorations
    if not rows:
        return
    today = timezone.localdate()
    if change.proration_behavior == ProrationBehavior.INVOICE_NOW:
        billing_date = today
    else:
        # The contract's next billing date: the next invoice nets the credit and debit.
        first = (
            BillingScheduleLine.objects.filter(
                contract=contract,
                kind__in=[ScheduleLineKind.RECURRING, ScheduleLineKind.INSTALLMENT],
                status=ScheduleLineStatus.PENDING,
                billing_date__gte=today,
            )
            .order_by("billing_date")
            .values_list("billing_date", flat=True)
            .first()
        )
        billing_date = first or max(today, change.effective_date)
    BillingScheduleLine.objects.filter(pk__in=[row.pk for row in rows]).update(
        billing_date=billing_date
    )
    for row in rows:
        row.billing_date = billing_date
    if change.proration_behavior == ProrationBehavior.INVOICE_NOW:
        invoice_prorations_now(change=change, contract=contract, rows=rows)
        return
    _refuse_negative_next_invoice(contract, billing_date)


def _refuse_negative_next_invoice(contract: Contract, billing_date: date) -> None:
    """The next invoice nets the credit; it must not total below zero (an invoice cannot),
    which happens when too little is left to bill after the change.

    Decided (issue 14) to keep the refusal: Zuora with Invoice Settlement never issues a
    negative invoice either; its bill run puts a net negative total on a credit memo
    ("Create credit memos for net negative invoice totals"). The outcome is the same
    document, a credit note against what was billed; Zuora makes it automatically where
    we refuse and name it (field proration_behavior), so the specialist issues it on the
    invoice that billed the period and records the change with no proration."""
    due = BillingScheduleLine.objects.filter(
        contract=contract,
        status=ScheduleLineStatus.PENDING,
        billing_date__lte=billing_date,
    ).exclude(kind=ScheduleLineKind.USAGE)
    net = sum((row.amount or 0 for row in due), start=0)
    if net < 0:
        raise DomainValidationError(
            field="proration_behavior",
            code=BillingError.NET_CREDIT_NOT_INVOICEABLE,
            message=(
                f"The next invoice ({billing_date}) would total "
                f"{format_money(net, contract.currency)}: the credit exceeds what is left to "
                "bill. Issue a credit note on the invoice that billed the period instead"
                # A custom plan refuses "no proration", so it is offered only without one.
                + (
                    "."
                    if contract.custom_billing_plan
                    else ", and record the change with no proration."
                )
            ),
        )


def invoice_prorations_now(
    *, change: ContractChange, contract: Contract, rows: list[BillingScheduleLine]
) -> Invoice:
    """A draft invoice of the change's credit and debit lines, made at once."""
    today = timezone.localdate()
    rows = list(
        BillingScheduleLine.objects.filter(pk__in=[r.pk for r in rows])
        .select_related("contract_line__product")
        .order_by("period_start", "kind", "id")
    )
    net = sum((row.amount for row in rows), start=rows[0].amount * 0)
    if net < 0:
        raise DomainValidationError(
            field="proration_behavior",
            code=BillingError.NET_CREDIT_NOT_INVOICEABLE,
            message=(
                f"The change credits more than it charges ({format_money(net, contract.currency)}"
                "); an invoice cannot total below zero. Put it on the next invoice instead."
            ),
        )
    account = contract.account
    invoice, lines = build_draft_invoice(
        legal_entity=default_legal_entity(),
        contract=contract,
        invoice_date=today,
        schedule_lines=rows,
        amounts={row.pk: row.amount for row in rows},
        quantities={},
        tax_rate=tax_rate_for(account, today, {}),
    )
    audit_next_save(invoice, reason=f"invoice.drafted:{change.reference}")
    invoice.save()
    for row, line in zip(rows, lines, strict=True):
        line.invoice = invoice
        line.save()
        row.transition_to(ScheduleLineStatus.BILLED)
        row.invoice_line = line
        row.save(update_fields=["status", "invoice_line"])
    return invoice
