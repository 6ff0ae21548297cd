"""Days formatting shared by the report endpoints (amounts: core.money.money_string)."""

from __future__ import annotations

from decimal import Decimal


def days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(Decimal('0.01')):f}"
