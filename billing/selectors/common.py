"""Helpers shared by the billing reads: amounts for display, admin links."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import (
    DecimalField,
)
from django.urls import reverse

from core.money import format_money


def money(amount: Decimal | str | None, currency: str) -> str:
    """Display an amount with its currency's own decimals ("$1,234.50", "¥1,235")."""
    if amount is None or amount == "":
        return "—"
    return format_money(Decimal(amount), currency)


def admin_url(instance, action: str = "change") -> str:
    meta = instance._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[instance.pk])


MONEY_FIELD = DecimalField(max_digits=19, decimal_places=4)
