"""Parameters of the revenue pages and exports, and the small action forms."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from core.money import is_known_currency

from .models import DeliveryKind


class ReportForm(forms.Form):
    as_of = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Waterfall: first month shown; roll-forward: first day of the period",
    )
    months = forms.IntegerField(required=False, min_value=1, max_value=36, initial=12)
    currency = forms.CharField(required=False, max_length=3)

    def clean_currency(self) -> str:
        value = (self.cleaned_data.get("currency") or "").strip().upper()
        if value and not is_known_currency(value):
            raise forms.ValidationError(f"{value} is not an ISO 4217 currency code.")
        return value

    def params(self, default_currency: str) -> dict:
        """Valid values, or the defaults: today, from January, 12 months."""
        data = self.cleaned_data if self.is_valid() else {}
        as_of = data.get("as_of") or timezone.localdate()
        start = data.get("start") or date(as_of.year, 1, 1)
        return {
            "as_of": as_of,
            "start": start,
            "months": data.get("months") or 12,
            "currency": data.get("currency") or default_currency,
        }


class DeliveryForm(forms.Form):
    obligation = forms.IntegerField(widget=forms.HiddenInput)
    delivered_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.DecimalField(
        required=False, max_digits=19, decimal_places=4, help_text="Empty: everything left"
    )
    kind = forms.ChoiceField(choices=DeliveryKind.choices, initial=DeliveryKind.DELIVERY)
    reference = forms.CharField(max_length=100)
    note = forms.CharField(max_length=200, required=False)


class ModificationForm(forms.Form):
    priced_at_ssp = forms.TypedChoiceField(
        label="Added goods priced at SSP (adjusted for the contract's circumstances)?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    remaining_goods_distinct = forms.TypedChoiceField(
        label="Remaining goods or services distinct from those already transferred?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    effective_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the amendment's start date",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
