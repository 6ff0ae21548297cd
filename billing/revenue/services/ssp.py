"""SSP ranges (residual approach) per product and currency: one durable write each,
validated as the admin validates them (minimum ≥ 0, maximum ≥ minimum, one per currency)."""

from __future__ import annotations

from django.db import transaction

from billing.revenue.error_codes import RevenueError
from core.errors import DomainValidationError
from ordermgmt.models import Product
from ordermgmt.services.reference import apply_changes, refuse_negative, save_validated

from ..models import SspRange

SSP_RANGE_FIELDS = {"minimum", "maximum", "source"}


def _check(ssp_range: SspRange) -> None:
    refuse_negative({"minimum": ssp_range.minimum, "maximum": ssp_range.maximum}, "minimum")
    if (
        ssp_range.minimum is not None
        and ssp_range.maximum is not None
        and ssp_range.maximum < ssp_range.minimum
    ):
        raise DomainValidationError(
            field="maximum",
            code=RevenueError.BELOW_MINIMUM,
            message=f"The maximum {ssp_range.maximum} is below the minimum {ssp_range.minimum}.",
        )


@transaction.atomic(durable=True)
def create_ssp_range(*, product: Product, currency: str, actor, **fields) -> SspRange:
    currency = (currency or "").upper()
    if SspRange.objects.filter(product=product, currency=currency).exists():
        raise DomainValidationError(
            field="currency",
            code=RevenueError.DUPLICATE,
            message=f"{product.sku} already has a {currency} SSP range; change that one.",
        )
    ssp_range = SspRange(product=product, currency=currency)
    apply_changes(ssp_range, fields, SSP_RANGE_FIELDS)
    _check(ssp_range)
    return save_validated(ssp_range, actor=actor, reason=f"ssp_range.created:{currency}")


@transaction.atomic(durable=True)
def change_ssp_range(*, ssp_range: SspRange, actor, **changes) -> SspRange:
    ssp_range = SspRange.objects.select_for_update().get(pk=ssp_range.pk)
    apply_changes(ssp_range, changes, SSP_RANGE_FIELDS)
    _check(ssp_range)
    return save_validated(ssp_range, actor=actor, reason=f"ssp_range.changed:{ssp_range.currency}")
