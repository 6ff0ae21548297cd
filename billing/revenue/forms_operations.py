"""Forms of the revenue operations card (templatetags/revenue_operations.py)."""

from __future__ import annotations

from django import forms

from core.amount_input import AmountFormField

from .models import ModificationTreatment

DATE = forms.DateInput(attrs={"type": "date"})


class ReestimateForm(forms.Form):
    amount = AmountFormField(
        label="New estimate of variable consideration", max_digits=19, decimal_places=4
    )
    effective_date = forms.DateField(label="Caught up on", widget=DATE)
    note = forms.CharField(
        label="Why the estimate changed (required)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OverrideTreatmentForm(forms.Form):
    treatment = forms.ChoiceField(choices=ModificationTreatment.choices)
    note = forms.CharField(
        label="Why (required)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
