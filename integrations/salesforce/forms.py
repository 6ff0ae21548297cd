from __future__ import annotations

from django import forms

from .models import Resolution


class ResolveIssueForm(forms.Form):
    resolution = forms.ChoiceField(choices=Resolution.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class StartSyncForm(forms.Form):
    full = forms.BooleanField(
        label="Full sync (ignore the watermarks and read every booking again)", required=False
    )
