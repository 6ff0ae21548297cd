from __future__ import annotations

from django import forms

from .models import IssueKind, IssueStatus, Resolution
from .selectors import IssueFilters

SF_OBJECTS = [
    ("", "Any object"),
    ("Opportunity", "Opportunity"),
    ("Account", "Account"),
    ("Contact", "Contact"),
    ("Product2", "Product"),
]


class IssueFilterForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("", "Any status"), *IssueStatus.choices], required=False, initial="open"
    )
    kind = forms.ChoiceField(choices=[("", "Any kind"), *IssueKind.choices], required=False)
    sf_object = forms.ChoiceField(label="Object", choices=SF_OBJECTS, required=False)
    q = forms.CharField(label="Search", required=False, max_length=100)
    account = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    run = forms.IntegerField(label="Run #", required=False, min_value=1)

    def to_filters(self) -> IssueFilters:
        if not self.is_bound:
            return IssueFilters()
        if not self.is_valid():
            return IssueFilters()
        data = self.cleaned_data
        return IssueFilters(
            status=data["status"],
            kind=data["kind"],
            sf_object=data["sf_object"],
            search=data["q"],
            account=data["account"],
            run=data["run"],
        )


class ResolveIssueForm(forms.Form):
    resolution = forms.ChoiceField(choices=Resolution.choices)
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea)


class StartSyncForm(forms.Form):
    full = forms.BooleanField(
        label="Full sync (ignore the watermarks and read every booking again)", required=False
    )
