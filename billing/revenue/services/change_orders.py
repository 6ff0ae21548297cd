"""ASC 606 follows each change order (an ON_CHANGE hook: same transaction as the change).

1. Classify it from its facts with decide_treatment (modifications.py), the reason kept:
   - goods are added (more seats, a longer term) that are distinct and priced at their
     SSP (inside the product's SSP range, or at its SSP) -> a separate contract;
   - otherwise, when the remaining services are distinct from those already transferred
     (a subscription is a series of distinct periods, 606-10-25-14b; a product marked not
     distinct is not) -> prospective: what is not recognised yet, plus the change in
     consideration, is spread over the remaining service;
   - otherwise -> cumulative catch-up on the effective date.
2. Re-version each obligation the change touches. The change in consideration of an
   obligation is what billing's schedule of its lines now holds less what it held before
   the change (the credits, debits and re-planned lines of this change), so the revenue
   of a contract always adds up to what it invoices and credits. A separate contract is a
   new obligation for that difference; the existing obligations keep their schedules.
3. Finance may override the treatment with a note; the schedules are re-versioned from
   the versions current before the change.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus
from billing.revenue.error_codes import RevenueError
from core.audit import actor_or_none, audit_next_save
from core.errors import DomainValidationError
from ordermgmt.models import (
    ChangeKind,
    Contract,
    ContractChange,
    ContractLine,
    ProductPrice,
    RevenueType,
)

from ..engine import RebasedProgress, catch_up_lines, cumulative_lines, history_before, recognised
from ..engine.schedule_lines import DraftLine
from ..models import (
    ChangeOrderRevenue,
    ModificationTreatment,
    ObligationLine,
    PerformanceObligation,
    RecognitionPattern,
    RevenueSchedule,
    RevenueScheduleLine,
    SspRange,
)
from ..obligations import progress_for, ratable_progress
from .common import accounting_contract_of, draft_lines, write_schedule_version
from .modifications import decide_treatment

ZERO = Decimal(0)
ONE_DAY = timedelta(days=1)


def _priced_at_ssp(contract: Contract, line: ContractLine) -> tuple[bool, str]:
    net = line.net_unit_price
    low_high = (
        SspRange.objects.filter(product=line.product, currency=contract.currency)
        .values_list("minimum", "maximum")
        .first()
    )
    if low_high is not None:
        low, high = low_high
        inside = low <= net <= high
        return (
            inside,
            f"{line.product.sku} at {net:.2f} a year is {'inside' if inside else 'outside'} "
            f"its SSP range {low:.2f}–{high:.2f}",
        )
    ssp = (
        ProductPrice.objects.filter(product=line.product, currency=contract.currency)
        .values_list("standalone_selling_price", flat=True)
        .first()
    )
    if ssp is None:
        return False, f"{line.product.sku} has no SSP in {contract.currency}"
    at = net == ssp
    return (
        at,
        f"{line.product.sku} at {net:.2f} a year is {'at' if at else 'not at'} its SSP {ssp:.2f}",
    )


def classify_change(change: ContractChange) -> tuple[str, str, dict]:
    """(treatment, reason, facts) of a change order, from its facts alone."""
    contract = change.contract
    serving = [
        line
        for line in contract.lines.select_related("product")
        if line.product.revenue_type == RevenueType.SUBSCRIPTION
        and line.serves_until >= change.effective_date
    ]
    remaining_distinct = all(line.product.distinct for line in serving)
    added: list[ContractLine] = []
    if change.kind == ChangeKind.TERM and change.new_end_date > change.previous_end_date:
        added = serving
        what = f"the term is extended to {change.new_end_date}"
    elif (
        change.kind == ChangeKind.QUANTITY
        and change.new_line is not None
        and change.new_line.quantity > change.line.quantity
    ):
        added = [change.new_line]
        what = f"{change.new_line.quantity - change.line.quantity:f} seats are added"
    else:
        what = {
            ChangeKind.QUANTITY: "seats are removed",
            ChangeKind.PRICE: "the price of the remaining service changes",
            ChangeKind.REMOVE: "a line ends early",
            ChangeKind.SWAP: "the product is replaced",
            ChangeKind.TERM: "the term is shortened",
        }[change.kind]
    added_distinct = bool(added) and all(line.product.distinct for line in added)
    ssp_checks = [_priced_at_ssp(contract, line) for line in added]
    priced = bool(added) and all(ok for ok, _ in ssp_checks)
    treatment = decide_treatment(
        added_goods_distinct=added_distinct,
        priced_at_ssp=priced,
        remaining_goods_distinct=remaining_distinct,
    )
    if treatment == ModificationTreatment.SEPARATE_CONTRACT:
        reason = (
            f"{what.capitalize()}: distinct goods priced at their SSP "
            f"({'; '.join(t for _, t in ssp_checks)}), a separate contract (606-10-25-12)."
        )
    elif treatment == ModificationTreatment.PROSPECTIVE:
        why_not = (
            f" ({'; '.join(t for _, t in ssp_checks)})"
            if added
            else ": no goods are added at their SSP"
        )
        reason = (
            f"{what.capitalize()}{why_not}; the remaining service periods are distinct from "
            "those already transferred (a series), so prospective (606-10-25-13a)."
        )
    else:
        reason = (
            f"{what.capitalize()}; the remaining goods are not distinct from those already "
            "transferred, so cumulative catch-up (606-10-25-13b)."
        )
    facts = {
        "change_kind": change.kind,
        "goods_added": bool(added),
        "added_goods_distinct": added_distinct,
        "priced_at_ssp": priced,
        "remaining_goods_distinct": remaining_distinct,
    }
    return treatment, reason, facts


def _revenue_effective(change: ContractChange) -> date:
    if change.kind != ChangeKind.TERM:
        return change.effective_date
    # A term change is a modification agreed today; it cannot reach past the old end.
    contract = change.contract
    return min(max(timezone.localdate(), contract.start_date), change.effective_date)


def _billed(lines: list[int], change: ContractChange) -> tuple[Decimal, Decimal]:
    """(before the change, after it): what the schedule of these lines bills, usage aside."""
    rows = BillingScheduleLine.objects.filter(contract_line_id__in=lines).exclude(
        kind=ScheduleLineKind.USAGE
    )
    cancelled = Q(status=ScheduleLineStatus.CANCELLED)
    mine = Q(change_order=change)
    before = rows.filter((~cancelled & ~mine) | (cancelled & mine)).aggregate(t=Sum("amount"))
    after = rows.exclude(cancelled).aggregate(t=Sum("amount"))
    return before["t"] or ZERO, after["t"] or ZERO


def account_for_change(*, change: ContractChange, actor=None) -> ChangeOrderRevenue:
    """ON_CHANGE hook: classify, and re-version the revenue if the contract has any."""
    treatment, reason, facts = classify_change(change)
    record = ChangeOrderRevenue(
        change=change,
        treatment=treatment,
        suggested_treatment=treatment,
        reason=reason,
        facts=facts,
    )
    root = accounting_contract_of(change.contract)
    obligations = list(
        PerformanceObligation.objects.select_for_update()
        .filter(accounting_contract=root)
        .exclude(pattern=RecognitionPattern.USAGE)
    )
    if obligations:
        record.base_schedules = {
            str(o): s
            for o, s in RevenueSchedule.objects.filter(
                obligation__in=obligations, is_current=True
            ).values_list("obligation_id", "pk")
        }
        _attach_new_line(change)
        _apply(change, record, actor)
        record.applied = True
    audit_next_save(record, actor=actor, reason=f"revenue.change_order:{treatment}")
    record.save()
    return record


def _attach_new_line(change: ContractChange) -> None:
    """The line carrying the new terms joins the obligation of the line it replaces."""
    if change.new_line is None:
        return
    old = ObligationLine.objects.filter(contract_line=change.line).first()
    if old is None:
        return
    ObligationLine.objects.create(
        obligation=old.obligation,
        contract_line=change.new_line,
        ssp_unit_price=old.ssp_unit_price,
        ssp_amount=ZERO,
        contract_price=ZERO,
        combined=old.combined,
    )


def _touched(change: ContractChange) -> dict[PerformanceObligation, list[int]]:
    if change.kind == ChangeKind.TERM:
        line_ids = list(change.contract.lines.values_list("pk", flat=True))
    else:
        line_ids = [change.line_id] + ([change.new_line_id] if change.new_line_id else [])
    touched: dict[PerformanceObligation, list[int]] = {}
    for row in ObligationLine.objects.filter(contract_line_id__in=line_ids).select_related(
        "obligation"
    ):
        if row.obligation.pattern == RecognitionPattern.USAGE:
            continue
        ids = list(row.obligation.lines.values_list("contract_line_id", flat=True))
        touched[row.obligation] = ids
    return touched


def _base_lines(record: ChangeOrderRevenue, obligation) -> tuple[Decimal, list[DraftLine]]:
    schedule = RevenueSchedule.objects.get(pk=record.base_schedules[str(obligation.pk)])
    rows = RevenueScheduleLine.objects.filter(schedule=schedule).order_by("recognition_date", "id")
    return schedule.total_amount, draft_lines(list(rows))


def _service_end(obligation, line_ids: list[int]) -> date:
    lines = ContractLine.objects.filter(pk__in=line_ids).select_related("contract")
    return max((line.serves_until for line in lines), default=obligation.service_end)


def _apply(change: ContractChange, record: ChangeOrderRevenue, actor) -> None:
    effective = _revenue_effective(change)
    currency = change.contract.currency
    for obligation, line_ids in _touched(change).items():
        if str(obligation.pk) not in record.base_schedules:
            continue
        before, after = _billed(line_ids, change)
        delta = after - before
        base_total, base_lines = _base_lines(record, obligation)
        history = history_before(base_lines, effective, currency)
        done = recognised(history)
        kind = "ratable" if obligation.pattern == RecognitionPattern.RATABLE else "point_in_time"
        if record.treatment == ModificationTreatment.SEPARATE_CONTRACT:
            if delta:
                _separate_obligation(change, obligation, delta, effective, line_ids, actor)
            continue
        if obligation.pattern == RecognitionPattern.RATABLE:
            obligation.service_end = max(
                _service_end(obligation, line_ids), obligation.service_start
            )
        total = base_total + delta
        progress = progress_for(obligation)
        if record.treatment == ModificationTreatment.PROSPECTIVE:
            lines = history + cumulative_lines(
                total=total - done,
                progress=RebasedProgress(progress, effective),
                currency=currency,
                kind=kind,
                start=effective,
                offset=done,
            )
            mode = "prospective"
        else:
            lines = catch_up_lines(
                history=history,
                total=total,
                progress=progress,
                effective=effective,
                currency=currency,
                kind=kind,
            )
            mode = "catch_up"
        missing = total - recognised(lines)
        if missing:  # no service left after the change: true up on its date
            lines.append(DraftLine("catch_up", effective, effective, effective, missing, total))
        write_schedule_version(
            obligation,
            lines=lines,
            total=total,
            effective_date=effective,
            reason=f"{change.reference} {change.kind}: {record.treatment}"[:64],
            actor=actor,
            basis_mode=mode,
            basis_origin=effective,
            recognised_before=done,
        )
        obligation.allocated_amount = total
        obligation.save(update_fields=["allocated_amount", "service_end"])


def _separate_obligation(change, obligation, delta, effective, line_ids, actor) -> None:
    """The added goods at SSP: their own obligation, ratable from the effective date."""
    number = PerformanceObligation.objects.filter(contract=change.contract).count() + 1
    end = max(_service_end(obligation, line_ids), effective)
    added = PerformanceObligation.objects.create(
        contract=change.contract,
        accounting_contract=obligation.accounting_contract,
        number=number,
        name=f"{obligation.name} ({change.reference})",
        product=obligation.product,
        pattern=RecognitionPattern.RATABLE,
        ratable_method=obligation.ratable_method,
        service_start=effective,
        service_end=end,
        currency=obligation.currency,
        ssp_amount=delta,
        allocated_amount=delta,
    )
    progress = ratable_progress(effective, end, obligation.ratable_method)
    write_schedule_version(
        added,
        lines=cumulative_lines(
            total=delta, progress=progress, currency=obligation.currency, kind="ratable"
        ),
        total=delta,
        effective_date=effective,
        reason=f"{change.reference}: separate contract",
        actor=actor,
    )


@transaction.atomic(durable=True)
def override_change_treatment(
    *, change: ContractChange, treatment: str, note: str, actor
) -> ChangeOrderRevenue:
    """Finance overrides the treatment the facts called for, with a note. Prospective and
    catch-up are re-versioned from the schedules current before the change."""
    note = (note or "").strip()
    if not note:
        raise DomainValidationError(
            field="note", code=RevenueError.REQUIRED, message="Say why the treatment changes."
        )
    if treatment not in ModificationTreatment.values:
        raise DomainValidationError(
            field="treatment",
            code=RevenueError.INVALID_CHOICE,
            message=f"Treatment is one of {', '.join(ModificationTreatment.values)}.",
        )
    record = ChangeOrderRevenue.objects.select_for_update().filter(change=change).first()
    if record is None:
        raise DomainValidationError(
            field="change",
            code=RevenueError.NOT_RECOGNISED,
            message=f"{change.reference} has no revenue treatment recorded.",
        )
    later = ContractChange.objects.filter(contract=change.contract, pk__gt=change.pk).exists()
    separate = ModificationTreatment.SEPARATE_CONTRACT
    if record.applied and (later or separate in (treatment, record.treatment)):
        raise DomainValidationError(
            field="treatment",
            code=RevenueError.LOCKED_AFTER_INCEPTION,
            message=(
                "Only the latest change order's treatment can be overridden, and only between "
                "prospective and cumulative catch-up once its revenue is built."
            ),
        )
    record.treatment = treatment
    record.override_note = note
    record.overridden_by = actor_or_none(actor)
    record.overridden_at = timezone.now()
    if record.applied:
        _apply(change, record, actor)
    audit_next_save(record, actor=actor, reason=f"revenue.change_order_override:{treatment}")
    record.save()
    return record
