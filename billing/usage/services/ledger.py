"""Commitments and credits as a ledger: a grant adds; a drawdown, an expiry, a true-up or a
rollover subtracts. A balance as of a date is the sum of the entries effective by then, so
any past balance is reproducible exactly and nothing is ever edited.

Draw order (what Metronome and Orb users expect): promotional credits, then prepaid
credits, then prepaid commitments, then postpaid minimums; within a priority the one
expiring first. At the end of its period, an unused balance of a prepaid commitment or a
credit expires (breakage); an unused postpaid minimum is trued up (invoiced on the next
invoice); either rolls over to a commitment for the next period where the contract says so.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Sum

from billing.error_codes import BillingError
from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus
from billing.usage.models import (
    DEFAULT_PRIORITY,
    Commitment,
    CommitmentKind,
    EntryKind,
    LedgerEntry,
    PaymentPlan,
)
from billing.usage.services.installments import (
    InstallmentPlan,
    add_installments,
    check_installment_plan,
)
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import round_money
from ordermgmt.models import Contract

ZERO = Decimal(0)
CLOSING = [EntryKind.EXPIRY, EntryKind.TRUE_UP, EntryKind.ROLLOVER_OUT]
PLANS = {
    CommitmentKind.PREPAID_COMMIT: {PaymentPlan.UP_FRONT, PaymentPlan.INSTALLMENTS},
    CommitmentKind.POSTPAID_COMMIT: {PaymentPlan.IN_ARREARS},
    CommitmentKind.PREPAID_CREDIT: {PaymentPlan.UP_FRONT, PaymentPlan.INSTALLMENTS},
    CommitmentKind.PROMOTIONAL_CREDIT: {PaymentPlan.FREE},
}


def check_grant(contract: Contract, kind: str, plan: str, amount, starts_on, ends_on) -> None:
    if kind not in PLANS:
        raise DomainValidationError(
            field="kind",
            code=BillingError.UNKNOWN_KIND,
            message=f"Kind must be one of {list(PLANS)}.",
        )
    if plan not in PLANS[kind]:
        raise DomainValidationError(
            field="payment_plan",
            code=BillingError.PLAN_DOES_NOT_FIT_KIND,
            message=f"A {kind.replace('_', ' ')} is paid {' or '.join(sorted(PLANS[kind]))}.",
        )
    if amount is None or amount <= 0 or round_money(amount, contract.currency) != amount:
        raise DomainValidationError(
            field="amount",
            code=BillingError.INVALID_AMOUNT,
            message=f"The amount must be above zero in whole {contract.currency} minor units.",
        )
    if ends_on < starts_on:
        raise DomainValidationError(
            field="ends_on",
            code=BillingError.ENDS_BEFORE_START,
            message="It ends before it starts.",
        )
    if starts_on < contract.start_date or ends_on > contract.end_date:
        raise DomainValidationError(
            field="starts_on" if starts_on < contract.start_date else "ends_on",
            code=BillingError.OUTSIDE_CONTRACT_TERM,
            message=f"It must lie within the term {contract.start_date} – {contract.end_date}.",
        )


def grant_commitment_body(
    *,
    contract: Contract,
    kind: str,
    payment_plan: str,
    name: str,
    amount: Decimal,
    starts_on: date,
    ends_on: date,
    actor,
    priority: int | None = None,
    overage_percent: Decimal = Decimal(100),
    rollover: bool = False,
    alert_thresholds: list[int] | None = None,
    installments: InstallmentPlan | None = None,
) -> Commitment:
    """Adds a commitment or credit to a contract, with its grant entry (of the whole
    amount: usage draws on all of it) and, when paid in installments, their schedule."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    check_grant(contract, kind, payment_plan, amount, starts_on, ends_on)
    schedule = check_installment_plan(
        payment_plan=payment_plan,
        plan=installments,
        amount=amount,
        currency=contract.currency,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    if overage_percent < 0:
        raise DomainValidationError(
            field="overage_percent",
            code=BillingError.NEGATIVE,
            message="Overage cannot be negative.",
        )
    commitment = Commitment(
        contract=contract,
        kind=kind,
        payment_plan=payment_plan,
        name=name or Commitment(kind=kind).get_kind_display(),
        amount=amount,
        currency=contract.currency,
        starts_on=starts_on,
        ends_on=ends_on,
        priority=DEFAULT_PRIORITY[kind] if priority is None else priority,
        overage_percent=overage_percent,
        rollover=rollover,
        alert_thresholds=sorted(alert_thresholds if alert_thresholds is not None else [80, 100]),
    )
    audit_next_save(commitment, actor=actor, reason=f"granted {commitment.name}")
    commitment.save()
    LedgerEntry.objects.create(
        commitment=commitment,
        kind=EntryKind.GRANT,
        effective_date=starts_on,
        amount=amount,
        currency=contract.currency,
        explanation={"why": f"{commitment.get_kind_display()} of {amount} {contract.currency}"},
    )
    add_installments(commitment, schedule)
    return commitment


# The service; the body alone is for the admin's change form, already in a transaction.
grant_commitment = transaction.atomic(durable=True)(grant_commitment_body)


def balances(commitments: list[Commitment], as_of: date | None = None) -> dict[int, Decimal]:
    """Balance per commitment: all entries, or those effective by `as_of` (inclusive)."""
    entries = LedgerEntry.objects.filter(commitment__in=commitments)
    if as_of is not None:
        entries = entries.filter(effective_date__lte=as_of)
    sums = dict(
        entries.values("commitment")
        .annotate(total=Sum("amount"))
        .values_list("commitment", "total")
    )
    return {c.pk: sums.get(c.pk) or ZERO for c in commitments}


def closable(contract_ids: list[int], before: date, billing_now=()) -> list[Commitment]:
    """Commitments ended before `before` with no closing entry yet, locked; not while usage
    of their period is still to be billed (it draws first), except the schedule lines
    being billed now (`billing_now`), whose drawdowns the caller has already made."""
    pending = BillingScheduleLine.objects.filter(
        contract_id=OuterRef("contract_id"),
        kind=ScheduleLineKind.USAGE,
        status=ScheduleLineStatus.PENDING,
        period_start__lte=OuterRef("ends_on"),
    ).exclude(pk__in=list(billing_now))
    return list(
        Commitment.objects.select_for_update(of=("self",))
        .filter(contract_id__in=contract_ids, ends_on__lt=before)
        .exclude(entries__kind__in=CLOSING)
        .exclude(Exists(pending))
        .order_by("contract_id", "ends_on", "id")
    )


def close_commitment(commitment: Commitment, balance: Decimal) -> LedgerEntry | None:
    """The closing entry of an ended commitment's unused balance (none when used up).
    Runs inside the caller's transaction (a billing chunk or `close_ended_commitments`);
    a true-up entry waits for the next invoice of the contract to get its line."""
    if balance <= 0:
        return None
    end = commitment.ends_on
    contract = commitment.contract
    why = {"unused": str(balance), "committed": str(commitment.amount)}
    if commitment.rollover and end < contract.end_date:
        length = end - commitment.starts_on
        successor = Commitment.objects.create(
            contract=contract,
            kind=commitment.kind,
            payment_plan=commitment.payment_plan,
            name=f"{commitment.name} (rolled over)",
            amount=balance,
            currency=commitment.currency,
            starts_on=end + timedelta(days=1),
            ends_on=min(end + timedelta(days=1) + length, contract.end_date),
            priority=commitment.priority,
            overage_percent=commitment.overage_percent,
            rolled_from=commitment,
            alert_thresholds=commitment.alert_thresholds,
        )
        LedgerEntry.objects.create(
            commitment=successor,
            kind=EntryKind.ROLLOVER_IN,
            effective_date=successor.starts_on,
            amount=balance,
            currency=commitment.currency,
            explanation={**why, "why": f"Unused balance of {commitment.name} rolled over"},
        )
        kind, text = EntryKind.ROLLOVER_OUT, f"Rolled over to {successor.name}"
    elif commitment.kind == CommitmentKind.POSTPAID_COMMIT:
        kind, text = EntryKind.TRUE_UP, "Unused minimum invoiced as a true-up"
    else:
        kind, text = EntryKind.EXPIRY, "Expired unused at the end of its period"
    return LedgerEntry.objects.create(
        commitment=commitment,
        kind=kind,
        effective_date=end,
        amount=-balance,
        currency=commitment.currency,
        explanation={**why, "why": text},
    )


@transaction.atomic(durable=True)
def close_ended_commitments(*, as_of: date) -> list[LedgerEntry]:
    """Expiries, true-ups and rollovers of every commitment ended before `as_of` (daily
    beat task; the billing run does the same for the contracts it bills)."""
    ended = closable(
        list(Commitment.objects.filter(ends_on__lt=as_of).values_list("contract_id", flat=True)),
        as_of,
    )
    open_balances = balances(ended)
    entries = [close_commitment(c, open_balances[c.pk]) for c in ended]
    return [entry for entry in entries if entry is not None]
