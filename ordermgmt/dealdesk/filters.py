"""The one filter definition of the deal desk review list, used by the queue page
(/dealdesk/) and the API list endpoint (/api/v1/dealdesk/reviews/) alike.

Both sets of parameter names are accepted: the page's `flag` beside the API's `rule_type`.
`sort` orders by a queue column (`sla`, `age`, `value`, `account`, `flags`, `contract`),
`-` first for descending, on the page and the API; the API also keeps DRF's `ordering`.
`status=all` lists every status. The page alone reads a missing status as `open`
(the queue's default view); the API lists every status unless asked.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import EMPTY_VALUES
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_filters import rest_framework as filters

from core.api_fields import BoundedIsoDateTimeFilter
from core.filters import CheckboxBooleanWidget, currency_select
from ordermgmt.models import DealDeskFlag, DealDeskReview, ReviewStatus, RuleType

ALL_STATUSES = "all"
AGE_CHOICES = [("1", "Over 1 day"), ("3", "Over 3 days"), ("7", "Over 7 days")]
# Sort keys (prefix "-" for descending) and what they order by; the id breaks ties.
QUEUE_SORTS = {
    "sla": "sla_due_at",
    "age": "opened_at",
    "value": "tcv_amount",
    "account": "contract__account__legal_name",
    "flags": "flag_count",
    "contract": "contract_id",
}
DEFAULT_SORT = "sla"
SORT_LABELS = {
    "sla": "SLA due",
    "age": "Opened",
    "value": "TCV",
    "account": "Account",
    "flags": "Flags",
    "contract": "Contract",
}


class _SortThenId(filters.OrderingFilter):
    """Orders by the chosen columns, then by id, so a page never repeats or skips a row."""

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "id")


class DealDeskReviewFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=[*ReviewStatus.choices, (ALL_STATUSES, "All")],
        method="filter_status",
        empty_label=None,
        label="Status",
        help_text="A review status, or `all`.",
    )
    flag = filters.ChoiceFilter(
        choices=RuleType.choices,
        method="filter_rule_type",
        empty_label="Any flag",
        label="Flag",
        help_text="Has a flag of this type (the page's name for `rule_type`).",
    )
    rule_type = filters.ChoiceFilter(
        choices=RuleType.choices, method="filter_rule_type", label="Has a flag of this type"
    )
    owner = filters.NumberFilter(field_name="contract__owner_id", label="Owner")
    account = filters.NumberFilter(field_name="contract__account_id")
    age = filters.ChoiceFilter(
        choices=AGE_CHOICES,
        method="filter_age",
        empty_label="Any age",
        label="Age",
        help_text="Opened at least this many days ago.",
    )
    currency = filters.CharFilter(label="Currency")
    min_value = filters.NumberFilter(field_name="tcv_amount", lookup_expr="gte", label="TCV from")
    max_value = filters.NumberFilter(field_name="tcv_amount", lookup_expr="lte", label="TCV to")
    opened_from = BoundedIsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_to = BoundedIsoDateTimeFilter(field_name="opened_at", lookup_expr="lte")
    overdue = filters.BooleanFilter(
        method="filter_overdue",
        label="Past SLA only",
        widget=CheckboxBooleanWidget,
        help_text="Open and past its SLA",
    )
    sort = _SortThenId(
        fields=tuple((column, key) for key, column in QUEUE_SORTS.items()),
        field_labels={QUEUE_SORTS[key]: label for key, label in SORT_LABELS.items()},
        label="Sort by",
    )

    class Meta:
        model = DealDeskReview
        fields = ["contract", "trigger"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["widget"] = currency_select(DealDeskReview, "Any currency")
        self.filters["owner"].extra["widget"] = _owner_select()

    def filter_status(self, queryset, name, value):
        if not value or value == ALL_STATUSES:
            return queryset
        return queryset.filter(status=value)

    def filter_rule_type(self, queryset, name, value):
        if not value:
            return queryset
        flags = DealDeskFlag.objects.filter(review=OuterRef("pk"), rule_type=value)
        return queryset.filter(Exists(flags))

    def filter_age(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(opened_at__lte=timezone.now() - timedelta(days=int(value)))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status=ReviewStatus.OPEN, sla_due_at__lt=timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)


def _owner_select() -> forms.Select:
    """Any user id is accepted; the page offers the owners of contracts under review."""
    owners = (
        get_user_model()
        .objects.filter(owned_contracts__deal_desk_reviews__isnull=False)
        .distinct()
        .order_by("username")
    )
    return forms.Select(choices=[("", "Any owner"), *((u.pk, str(u)) for u in owners)])
