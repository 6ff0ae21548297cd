"""Serializer fields shared by the billing API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.models import ScheduleLineKind
from core.api_fields import MoneyField  # the one money field; imported from here too

__all__ = ["MoneyField", "ScheduleKindField"]

# --- Fields ---------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": list(ScheduleLineKind.values)})
class ScheduleKindField(serializers.CharField):
    """Inline enum: a named one would collide with the contract's "kind" component."""
