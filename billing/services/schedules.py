"""Billing schedules: made when a contract is activated; usage recorded against them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from billing.error_codes import BillingError
from billing.models import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus, UsageRecord
from billing.schedules.builder import build_schedule
from core.errors import DomainValidationError
from ordermgmt.models import Contract, ContractLine, ContractStatus


def create_billing_schedule(*, contract: Contract, actor=None) -> list[BillingScheduleLine]:
    """Runs inside activate_contract's transaction (registered as its activation hook)."""
    if contract.schedule_lines.exists():
        return list(contract.schedule_lines.all())
    rows = [
        BillingScheduleLine(
            contract=contract,
            contract_line=draft.contract_line,
            ramp_step=draft.ramp_step,
            kind=draft.kind,
            sequence=draft.sequence,
            period_start=draft.period_start,
            period_end=draft.period_end,
            billing_date=draft.billing_date,
            currency=contract.currency,
            quantity=draft.quantity,
            unit_price=draft.unit_price,
            amount=draft.amount,
            day_count_convention=contract.day_count_convention,
            explanation=draft.explanation,
        )
        for draft in build_schedule(contract)
    ]
    return BillingScheduleLine.objects.bulk_create(rows)


def contract_value(contract: Contract) -> Decimal:
    """What the contract bills over its term, usage aside: the sum of its schedule."""
    if contract.schedule_lines.exists():
        lines = contract.schedule_lines.exclude(kind=ScheduleLineKind.USAGE)
        return lines.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    return sum((d.amount for d in build_schedule(contract) if d.amount is not None), Decimal(0))


@transaction.atomic(durable=True)
def record_usage(
    *, contract_line: ContractLine, usage_date: date, quantity: Decimal, reference: str
) -> UsageRecord:
    """Idempotent by reference: the same usage reported twice is recorded once."""
    if contract_line.product.revenue_type != "usage":
        raise DomainValidationError(
            field="contract_line",
            code=BillingError.NOT_USAGE_PRICED,
            message=f"{contract_line.product.sku} is not priced by usage.",
        )
    contract = contract_line.contract
    if contract.status != ContractStatus.ACTIVE:
        raise DomainValidationError(
            field="contract_line",
            code=BillingError.CONTRACT_NOT_ACTIVE,
            message="Usage can be recorded only on an active contract.",
        )
    if not contract.start_date <= usage_date <= contract.end_date:
        raise DomainValidationError(
            field="usage_date",
            code=BillingError.OUTSIDE_CONTRACT_TERM,
            message=f"{usage_date} is outside the contract term.",
        )
    if quantity < 0:
        raise DomainValidationError(
            field="quantity",
            code=BillingError.NEGATIVE_QUANTITY,
            message="Usage cannot be negative.",
        )
    existing = UsageRecord.objects.filter(reference=reference).first()
    if existing:
        if (existing.contract_line_id, existing.usage_date, existing.quantity) != (
            contract_line.pk,
            usage_date,
            quantity,
        ):
            raise DomainValidationError(
                field="reference",
                code=BillingError.REFERENCE_REUSED,
                message=f"Reference {reference!r} was already used for other usage.",
            )
        return existing
    return UsageRecord.objects.create(
        contract_line=contract_line, usage_date=usage_date, quantity=quantity, reference=reference
    )


def stop_billing_on_cancellation(*, contract, actor=None, effective_date, **kwargs) -> int:
    """A cancelled contract bills nothing more: its lines not yet billed are cancelled
    (kept, with their explanation, for the record). What is owed for service up to the
    cancellation, or due back for service paid in advance, is settled by hand with an
    invoice or a credit note; the revenue page shows it as a contract asset or liability."""
    return BillingScheduleLine.transition_rows(
        BillingScheduleLine.objects.filter(contract=contract),
        from_status=ScheduleLineStatus.PENDING,
        to_status=ScheduleLineStatus.CANCELLED,
    )
