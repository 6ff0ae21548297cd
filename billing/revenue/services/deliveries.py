"""Point-in-time obligations: revenue when control passes (delivery or acceptance)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Sum

from billing.revenue.error_codes import RevenueError
from core.audit import actor_or_none
from core.errors import DomainValidationError
from ordermgmt.models import ContractStatus

from ..models import (
    Delivery,
    PerformanceObligation,
    RecognitionPattern,
    RevenueSchedule,
    RevenueScheduleLine,
)
from ..obligations import progress_for
from .common import draft_lines, regenerate_lines, write_schedule_version

ZERO = Decimal(0)


def deliver(
    *,
    obligation: PerformanceObligation,
    delivered_on: date,
    reference: str,
    actor,
    quantity: Decimal | None = None,
    kind: str = "delivery",
    note: str = "",
) -> Delivery:
    """Idempotent by reference. A new schedule version recognises the delivered share."""
    obligation = PerformanceObligation.objects.select_for_update().get(pk=obligation.pk)
    reference = (reference or "").strip()
    if not reference:
        raise DomainValidationError(
            field="reference", code=RevenueError.REQUIRED, message="Give the delivery a reference."
        )
    existing = Delivery.objects.filter(reference=reference).first()
    if existing is not None:
        same = existing.obligation_id == obligation.pk and existing.delivered_on == delivered_on
        if same and (quantity is None or existing.quantity == quantity):
            return existing
        raise DomainValidationError(
            field="reference",
            code=RevenueError.REFERENCE_REUSED,
            message=f"Reference {reference!r} was already used for another delivery.",
        )
    if obligation.contract.status == ContractStatus.CANCELLED:
        raise DomainValidationError(
            field="obligation",
            code=RevenueError.CONTRACT_CANCELLED,
            message=f"{obligation.contract.reference} was cancelled: nothing more is "
            "delivered or recognised under it.",
        )
    if obligation.pattern != RecognitionPattern.POINT_IN_TIME:
        raise DomainValidationError(
            field="obligation",
            code=RevenueError.NOT_POINT_IN_TIME,
            message=f"{obligation.name} is recognised {obligation.get_pattern_display().lower()}, "
            "not on delivery.",
        )
    if delivered_on < obligation.service_start:
        raise DomainValidationError(
            field="delivered_on",
            code=RevenueError.BEFORE_CONTRACT_START,
            message=f"{delivered_on} is before the contract starts ({obligation.service_start}).",
        )
    schedule = RevenueSchedule.objects.get(obligation=obligation, is_current=True)
    if schedule.basis_origin and delivered_on < schedule.basis_origin:
        raise DomainValidationError(
            field="delivered_on",
            code=RevenueError.BEFORE_MODIFICATION,
            message=f"{delivered_on} is before the modification of {schedule.basis_origin}; "
            "revenue before a modification is not restated.",
        )
    delivered = obligation.deliveries.aggregate(total=Sum("quantity"))["total"] or ZERO
    left = obligation.quantity - delivered
    quantity = left if quantity is None else Decimal(quantity)
    if quantity <= 0 or quantity > left:
        raise DomainValidationError(
            field="quantity",
            code="exceeds_quantity" if quantity > left else "not_positive",
            message=f"{left.normalize():f} of {obligation.quantity.normalize():f} units are "
            "left to deliver.",
        )
    delivery = Delivery.objects.create(
        obligation=obligation,
        kind=kind,
        delivered_on=delivered_on,
        quantity=quantity,
        reference=reference,
        note=note,
        recorded_by=actor_or_none(actor),
    )
    history = draft_lines(
        RevenueScheduleLine.objects.filter(schedule=schedule).order_by("recognition_date", "id")
    )
    lines = regenerate_lines(schedule, history, progress_for(obligation))
    write_schedule_version(
        obligation,
        lines=lines,
        total=schedule.total_amount,
        effective_date=delivered_on,
        reason=f"{kind} {reference}",
        actor=actor,
        allocation=schedule.allocation,
        basis_mode=schedule.basis_mode,
        basis_origin=schedule.basis_origin,
        recognised_before=schedule.recognised_before,
    )
    return delivery
