"""Amount and days formatting shared by the report endpoints."""

from __future__ import annotations

from decimal import Decimal

from core.money import minor_unit


def money(value: Decimal | None, currency: str) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-minor_unit(currency))):f}"


def days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(Decimal('0.01')):f}"
