"""One filter definition for the bank transactions list, used by the matching queue page
and the API list endpoint alike (a django-filter FilterSet, as billing/filters.py).

`status=open` means what the queue calls "To match": open credits (money out is set aside
when imported, never matched). The page shows that when no `status` is given (`status=`
shows every status, an unknown one falls back to it); the API shows every status then."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django_filters import rest_framework as filters

from billing.bank.models import BankTransaction, Direction, MatchStatus


class BankTransactionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=MatchStatus.choices, method="filter_status", empty_label="All"
    )

    class Meta:
        model = BankTransaction
        fields = ["status", "direction", "statement", "account", "currency"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        queryset = queryset.filter(status=value)
        if value == MatchStatus.OPEN:
            queryset = queryset.filter(direction=Direction.CREDIT)
        return queryset


def queue_page_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The queue page's query with its default: the credits to match unless another known
    status (or `status=` for all) is given."""
    data = {key: params.get(key) for key in params if key != "page"}
    if data.get("status", MatchStatus.OPEN) not in ("", *MatchStatus.values):
        data["status"] = MatchStatus.OPEN
    data.setdefault("status", MatchStatus.OPEN)
    return data
