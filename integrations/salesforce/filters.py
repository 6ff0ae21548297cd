"""One filter definition for each sync list, used by its console page and its API list
endpoint alike (django-filter FilterSets, as ordermgmt/filters.py for contracts and
customers).

Sync issues: the page's `q` (part of the Salesforce id, code, field or account name), `run`
(first or last seen in that run) and the API's `sf_id`, `contract`, `last_run`,
`seen_from`/`seen_to` are all accepted by both. The page shows open issues when no `status`
is given (`status=` shows every status); the API shows every status then.
Sync runs: `status`, `trigger`, `created_from`/`created_to` on the page and the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters

from .models import IssueKind, IssueStatus, SyncIssue, SyncRun, SyncRunStatus, SyncTrigger

SF_OBJECTS = [
    ("", "Any object"),
    ("Opportunity", "Opportunity"),
    ("Account", "Account"),
    ("Contact", "Contact"),
    ("Product2", "Product"),
]


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class SyncIssueFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=IssueStatus.choices, empty_label="Any status")
    kind = filters.ChoiceFilter(choices=IssueKind.choices, empty_label="Any kind")
    sf_object = filters.CharFilter(
        label="Object", max_length=40, widget=forms.Select(choices=SF_OBJECTS)
    )
    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=100,
        help_text="Part of the Salesforce id, the code, the field or the account's name.",
    )
    run = filters.NumberFilter(
        label="Run #",
        method="filter_run",
        min_value=1,
        help_text="Issues first or last seen in this sync run.",
    )
    seen_from = filters.DateFilter(
        field_name="last_seen_at", lookup_expr="date__gte", label="Seen from", widget=_date_input()
    )
    seen_to = filters.DateFilter(
        field_name="last_seen_at", lookup_expr="date__lte", label="until", widget=_date_input()
    )

    class Meta:
        model = SyncIssue
        fields = ["status", "kind", "sf_object", "sf_id", "account", "contract", "last_run"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Reached by links (an account's, a contract's or a run's issues), not typed.
        for name in ("sf_id", "account", "contract", "last_run"):
            self.filters[name].extra["widget"] = forms.HiddenInput

    def filter_search(self, queryset, name, value):
        term = (value or "").strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(sf_id__icontains=term)
            | Q(code__icontains=term)
            | Q(field__icontains=term)
            | Q(account__legal_name__icontains=term)
        )

    def filter_run(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(Q(last_run_id=value) | Q(first_run_id=value))


def issue_page_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The issues page's query with its default: open issues unless a status is given."""
    data = {key: params.get(key) for key in params if key != "page"}
    data.setdefault("status", IssueStatus.OPEN)
    return data


class SyncRunFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=SyncRunStatus.choices, empty_label="Any status")
    trigger = filters.ChoiceFilter(choices=SyncTrigger.choices, empty_label="Any trigger")
    created_from = filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="Requested from",
        widget=_date_input(),
    )
    created_to = filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="until", widget=_date_input()
    )

    class Meta:
        model = SyncRun
        fields = ["status", "trigger"]
