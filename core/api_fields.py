"""Fields shared by every API: dates and date-times the database and the reports can
handle, refused with 400 naming the parameter otherwise; and the one money output field."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.bounds import date_floor
from core.error_codes import CoreError
from core.money import WIDE, money_string

# Real time zones run from UTC-12:00 to UTC+14:00; PostgreSQL refuses +16:00 outright.
MAX_UTC_OFFSET = timedelta(hours=14)
LATEST_REPORT_DATE = date(9000, 12, 31)


class BoundedIsoDateTimeField(IsoDateTimeField):
    def clean(self, value):
        value = super().clean(value)
        offset = value.utcoffset() if value is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise forms.ValidationError(
                "The time zone offset must be between -14:00 and +14:00.",
                code=CoreError.OUT_OF_RANGE,
            )
        return value


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class ReportDateField(serializers.DateField):
    """A report's date: not before the date floor (LEDGERLINE_DATE_FLOOR), nor so far
    ahead that the report's date arithmetic leaves the calendar."""

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        if not date_floor() <= day <= LATEST_REPORT_DATE:
            raise serializers.ValidationError(
                f"The date must be between {date_floor()} and {LATEST_REPORT_DATE}.",
                code=CoreError.OUT_OF_RANGE,
            )
        return day


@extend_schema_field({"type": "string", "format": "decimal", "example": "1234.50"})
class MoneyField(serializers.Field):
    """An amount as a string with its currency's own decimals ("1234.50", JPY "1235"),
    written by core.money.money_string.

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
        return money_string(amount, currency)


class ExactAmountField(serializers.DecimalField):
    """A derived amount shown exactly, at four places, however many digits it has: a
    contract stored before the input bounds existed must not break its own API."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(max_digits=None, decimal_places=4, **kwargs)

    def to_representation(self, value):
        return str(Decimal(value).quantize(Decimal("0.0001"), context=WIDE))
