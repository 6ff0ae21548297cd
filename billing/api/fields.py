"""Serializer fields shared by the billing API."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import ScheduleLineKind
from core.money import round_money

# --- Fields ---------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "decimal", "example": "1234.50"})
class MoneyField(serializers.Field):
    """An amount as a string with its currency's own decimals ("1234.50", JPY "1235").

    `currency` names the attribute (dotted path allowed) that holds the currency code."""

    def __init__(self, currency: str = "currency", **kwargs):
        kwargs["read_only"] = True
        super().__init__(**kwargs)
        self.currency_path = currency.split(".")

    def get_attribute(self, instance):
        amount = super().get_attribute(instance)
        currency = instance
        for name in self.currency_path:
            currency = getattr(currency, name)
        return amount, currency

    def to_representation(self, value):
        amount, currency = value
        if amount is None:
            return None
        return str(round_money(Decimal(amount), currency))


@extend_schema_field({"type": "string", "enum": list(ScheduleLineKind.values)})
class ScheduleKindField(serializers.CharField):
    """Inline enum: a named one would collide with the contract's "kind" component."""
