"""Commitments paid in installments: the schedule, checked and split exactly.

Usage draws on the whole commitment from its start, whatever has been invoiced yet (as
Metronome and Orb do): the installments are only how the commitment is invoiced, each on
the first usage invoice of a billing run on or after its due date (`billing.py`). Overage
starts when the whole commitment is used, not when the installments billed so far are.
At the end the unused balance closes as for any prepaid commitment (`close_commitment`):
the installments have invoiced the whole minimum, so it expires (breakage), never billed
twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.error_codes import BillingError
from billing.usage.models import Commitment, CommitmentInstallment, PaymentPlan
from core.errors import DomainValidationError
from core.money import format_money, round_money
from core.terms import add_months

MONTHS_BETWEEN = {"monthly": 1, "quarterly": 3}


@dataclass(frozen=True)
class InstallmentPlan:
    """Either `every` ("monthly" or "quarterly") with `count` equal installments from the
    commitment's start (the rounding remainder on the last one), or `custom` (due date,
    amount) pairs that add up exactly to the commitment."""

    every: str | None = None
    count: int | None = None
    custom: tuple[tuple[date, Decimal], ...] = ()


def _refuse(field: str, code: str, message: str) -> DomainValidationError:
    return DomainValidationError(field=field, code=code, message=message)


def installment_schedule(
    *, plan: InstallmentPlan, amount: Decimal, currency: str, starts_on: date, ends_on: date
) -> list[tuple[date, Decimal]]:
    """The (due date, amount) of each installment; refuses a plan that does not fit."""
    if plan.custom:
        if plan.every or plan.count:
            raise _refuse(
                "installments",
                BillingError.INVALID,
                "Give either custom installments or every and count, not both.",
            )
        return _custom(plan.custom, amount, currency, starts_on, ends_on)
    if plan.every not in MONTHS_BETWEEN:
        raise _refuse(
            "installment_every",
            BillingError.INVALID,
            f"Installments come {' or '.join(sorted(MONTHS_BETWEEN))}.",
        )
    if not plan.count or plan.count < 1:
        raise _refuse("installment_count", BillingError.INVALID, "Give one installment or more.")
    dues = [add_months(starts_on, MONTHS_BETWEEN[plan.every] * n) for n in range(plan.count)]
    if dues[-1] > ends_on:
        raise _refuse(
            "installment_count",
            BillingError.INSTALLMENT_OUTSIDE_PERIOD,
            f"Installment {plan.count} would be due on {dues[-1]}, after the commitment "
            f"ends on {ends_on}.",
        )
    part = round_money(amount / plan.count, currency)
    last = amount - part * (plan.count - 1)
    if part <= 0 or last <= 0:
        raise _refuse(
            "installment_count",
            BillingError.INVALID_AMOUNT,
            f"{amount} {currency} cannot be split into {plan.count} installments.",
        )
    return list(zip(dues, [part] * (plan.count - 1) + [last], strict=True))


def _custom(rows, amount, currency, starts_on, ends_on) -> list[tuple[date, Decimal]]:
    rows = sorted(rows)
    for number, (due_on, part) in enumerate(rows, start=1):
        if part is None or part <= 0 or round_money(part, currency) != part:
            raise _refuse(
                "installments",
                BillingError.INVALID_AMOUNT,
                f"Installment {number} ({due_on}): the amount must be above zero in whole "
                f"{currency} minor units.",
            )
        if not starts_on <= due_on <= ends_on:
            raise _refuse(
                "installments",
                BillingError.INSTALLMENT_OUTSIDE_PERIOD,
                f"Installment {number} is due on {due_on}, outside the commitment's period "
                f"{starts_on} – {ends_on}.",
            )
    if len({due_on for due_on, _ in rows}) != len(rows):
        raise _refuse("installments", BillingError.DUPLICATE, "Two installments share a date.")
    total = sum((part for _, part in rows), Decimal(0))
    if total != amount:
        raise _refuse(
            "installments",
            BillingError.INSTALLMENTS_DO_NOT_SUM,
            f"The installments add up to {format_money(total, currency)}; the commitment is "
            f"{format_money(amount, currency)}.",
        )
    return rows


def check_installment_plan(
    *, payment_plan: str, plan: InstallmentPlan | None, **schedule
) -> list[tuple[date, Decimal]]:
    """The schedule of a commitment about to be granted (empty unless in installments)."""
    if payment_plan != PaymentPlan.INSTALLMENTS:
        if plan is not None:
            raise _refuse(
                "installments",
                BillingError.PLAN_DOES_NOT_FIT_KIND,
                "Only a commitment paid in installments has installments.",
            )
        return []
    if plan is None:
        raise _refuse(
            "installments",
            BillingError.REQUIRED,
            "A commitment paid in installments needs its installments: every and count, "
            "or custom dates and amounts.",
        )
    return installment_schedule(plan=plan, **schedule)


def add_installments(commitment: Commitment, schedule: list[tuple[date, Decimal]]) -> None:
    CommitmentInstallment.objects.bulk_create(
        CommitmentInstallment(
            commitment=commitment,
            number=number,
            due_on=due_on,
            amount=part,
            currency=commitment.currency,
        )
        for number, (due_on, part) in enumerate(schedule, start=1)
    )
