"""The one parser of money typed by a user, for console forms and API serializers alike.

Accepted: plain digits with an optional "." and decimals ("1000", "1000.5"), and the same
with grouping separators the user typed between groups of three digits ("1,000.00",
"1 000.00", "1'000.00"). Refused, with a message naming the field: exponents ("1e3"),
"NaN"/"Infinity", misplaced separators ("1,00.0"), anything else. Decimals beyond the
currency's are the service's to refuse (it knows the currency).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

GROUPING = ",'\u00a0\u202f "  # comma, apostrophe, (narrow) no-break space, space
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?P<sep>[" + GROUPING + r"])\d{3}((?P=sep)\d{3})*(\.\d+)?$")


class AmountInputError(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def parse_amount(text: str, *, label: str = "Amount") -> Decimal:
    """The Decimal the user meant by `text`, or AmountInputError naming `label`."""
    value = text.strip()
    if _PLAIN.match(value):
        return Decimal(value)
    if _GROUPED.match(value):
        return Decimal(re.sub(f"[{GROUPING}]", "", value))
    if re.search(r"\d[eE][+-]?\d", value):
        raise AmountInputError(
            "exponent", f"{label}: write the amount out in digits (1000, not 1e3)."
        )
    raise AmountInputError(
        "invalid", f"{label}: enter an amount in digits, such as 1,000.00 or 1000.00."
    )


class AmountFormField(forms.DecimalField):
    """forms.DecimalField reading amounts with parse_amount."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(str(value), label=str(self.label or "Amount"))
        except AmountInputError as err:
            raise ValidationError(err.message, code=err.code) from None


class AmountSerializerField(serializers.DecimalField):
    """serializers.DecimalField reading amount strings with parse_amount."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            label = (self.label or self.field_name or "amount").replace("_", " ")
            try:
                data = str(parse_amount(data, label=label[:1].upper() + label[1:]))
            except AmountInputError as err:
                raise serializers.ValidationError(err.message, code=err.code) from None
        return super().to_internal_value(data)
