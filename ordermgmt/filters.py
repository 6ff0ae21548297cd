"""One filter definition per list of commercial records, used by its console page, its API
list endpoint and its CSV export alike (django-filter FilterSets); see billing/filters.py
for invoices and payments. The API's parameter names are kept; `q` searches and `sort`
orders (`-` first for descending) on the page, the API and the export."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters

from core.filters import StableOrderingFilter
from ordermgmt.models import Account, BillingFrequency, Contract, ContractKind, ContractStatus


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class ContractFilter(filters.FilterSet):
    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": "Name, account, PO or CTR-…"}),
        help_text="Part of the name, the account's name or the PO number, or a reference.",
    )
    status = filters.ChoiceFilter(choices=ContractStatus.choices, empty_label="Any")
    account = filters.NumberFilter(field_name="account_id", label="Account id")
    currency = filters.CharFilter(max_length=3, label="Currency")
    kind = filters.ChoiceFilter(choices=ContractKind.choices, empty_label="Any")
    billing_frequency = filters.ChoiceFilter(choices=BillingFrequency.choices, empty_label="Any")
    start_date_from = filters.DateFilter(
        field_name="start_date", lookup_expr="gte", label="Start from", widget=_date_input()
    )
    start_date_to = filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="to", widget=_date_input()
    )
    sort = StableOrderingFilter(
        fields=(
            ("id", "reference"),
            ("name", "name"),
            ("account__legal_name", "account"),
            ("status", "status"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Contract
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        term = (value or "").strip()
        if not term:
            return queryset
        condition = (
            Q(name__icontains=term)
            | Q(account__legal_name__icontains=term)
            | Q(po_number__icontains=term)
        )
        reference = term.upper().removeprefix("CTR-").removeprefix("CTR")
        if term.upper().startswith("CTR") and reference.isdigit():
            condition |= Q(pk=int(reference))
        return queryset.filter(condition)


class AccountFilter(filters.FilterSet):
    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": "Name, tax id, Salesforce or Stripe id"}),
        help_text="Part of the name or tax id, or the start of a Salesforce or Stripe id.",
    )
    default_currency = filters.CharFilter(max_length=3, label="Currency")
    billing_country = filters.CharFilter(max_length=2, label="Country")
    tax_exempt = filters.BooleanFilter()
    sort = StableOrderingFilter(
        fields=(
            ("legal_name", "name"),
            ("billing_country", "country"),
            ("default_currency", "currency"),
            ("created_at", "created"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Account
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        term = (value or "").strip()
        if not term:
            return queryset
        return queryset.filter(
            Q(legal_name__icontains=term)
            | Q(tax_id__icontains=term)
            | Q(salesforce_id__istartswith=term)
            | Q(stripe_customer_id__istartswith=term)
        )
