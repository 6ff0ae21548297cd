"""One filter definition per list, used by its console page, its API list endpoint and its
CSV export alike (django-filter FilterSets).

The page's query parameter names and the API's are both accepted: the page's `settlement`,
`date_from`/`date_to`, `received_from`/`received_to`, `unapplied` beside the API's
`settlement_status`, `invoice_date_from`/`invoice_date_to`, `received_date_from`/
`received_date_to`, `has_unapplied`. `account` takes an account id (the customer page and
the API link with it) or part of the account's name. `sort` orders by a column, `-` first
for descending, on the page, the API and the export.
"""

from __future__ import annotations

from django import forms
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django_filters import rest_framework as filters

from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod, SettlementStatus
from billing.selectors.cash import unapplied_q
from billing.selectors.invoices import overdue_q
from core.filters import CheckboxBooleanWidget, StableOrderingFilter, currency_select
from core.pagination import ESTIMATE_ABOVE, estimated_count
from ordermgmt.models import Account

# Up to this many accounts whose name matches, the invoice search looks their invoices up
# by account id (an index); beyond it the term is too vague for that and joins instead.
NAME_MATCHES_BY_ID = 1000
# Up to this many matches (as estimated) a search is ranked; see filter_search.
RANK_MATCHES_UP_TO = ESTIMATE_ABOVE


class _DateRangeForm(forms.Form):
    """Refuses an end date before its start date, on the field the user typed last."""

    date_ranges: tuple[tuple[str, str], ...] = ()

    def clean(self):
        cleaned = super().clean()
        for start_name, end_name in self.date_ranges:
            start, end = cleaned.get(start_name), cleaned.get(end_name)
            if start and end and end < start:
                self.add_error(end_name, "The end date is before the start date.")
        return cleaned


class InvoiceFilterForm(_DateRangeForm):
    date_ranges = (
        ("date_from", "date_to"),
        ("invoice_date_from", "invoice_date_to"),
        ("due_date_from", "due_date_to"),
    )


class PaymentFilterForm(_DateRangeForm):
    date_ranges = (("received_from", "received_to"), ("received_date_from", "received_date_to"))


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def _account(queryset: QuerySet, name: str, value: str) -> QuerySet:
    value = (value or "").strip()
    if not value:
        return queryset
    if value.isdigit():
        return queryset.filter(account_id=int(value))
    return queryset.filter(account_name_q(value))


def account_name_q(term: str, account_field: str = "account") -> Q:
    """Rows whose account's name contains `term`: the matching accounts first (their
    trigram index), then the rows by account id (an index), so that an OR with other
    indexed conditions stays a bitmap OR instead of a join over the whole table."""
    account_ids = list(
        Account.objects.filter(legal_name__icontains=term)
        .order_by()
        .values_list("pk", flat=True)[: NAME_MATCHES_BY_ID + 1]
    )
    if len(account_ids) > NAME_MATCHES_BY_ID:
        return Q(**{f"{account_field}__legal_name__icontains": term})
    return Q(**{f"{account_field}_id__in": account_ids})


def invoice_search_q(term: str) -> Q:
    """Part of the number (trigram index), the start of the PO (prefix index), part of
    the account's name, or a contract reference (CTR-12)."""
    condition = Q(number__icontains=term) | Q(po_number__istartswith=term) | account_name_q(term)
    reference = term.upper().removeprefix("CTR-").removeprefix("CTR")
    if term.upper().startswith("CTR") and reference.isdigit():
        condition |= Q(contract_id=int(reference))
    return condition


def payment_search_q(term: str) -> Q:
    """The start of the bank reference or processor id (each has a prefix index)."""
    return Q(reference__istartswith=term) | Q(external_id__istartswith=term)


class InvoiceFilter(filters.FilterSet):
    q = filters.CharFilter(
        label="Search",
        method="filter_search",
        widget=forms.TextInput(attrs={"placeholder": "Number, account, PO or contract"}),
        help_text="Part of the number or account name, the start of the PO, or a contract "
        "reference.",
    )
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices, empty_label="Any")
    settlement = filters.ChoiceFilter(
        field_name="settlement_status",
        choices=SettlementStatus.choices,
        empty_label="Any",
        label="Settlement",
    )
    settlement_status = filters.ChoiceFilter(choices=SettlementStatus.choices)
    currency = filters.CharFilter(label="Currency", max_length=3)
    account = filters.CharFilter(
        method=_account,
        max_length=200,
        label="Account",
        widget=forms.TextInput(attrs={"placeholder": "Name or account id"}),
        help_text="An account id, or part of the account's name.",
    )
    contract = filters.NumberFilter(field_name="contract_id", label="Contract id")
    billing_run = filters.NumberFilter(field_name="billing_run_id", label="Billing run id")
    date_from = filters.DateFilter(
        field_name="invoice_date", lookup_expr="gte", label="Invoice date from",
        widget=_date_input(),
    )  # fmt: skip
    date_to = filters.DateFilter(
        field_name="invoice_date", lookup_expr="lte", label="to", widget=_date_input()
    )
    invoice_date_from = filters.DateFilter(field_name="invoice_date", lookup_expr="gte")
    invoice_date_to = filters.DateFilter(field_name="invoice_date", lookup_expr="lte")
    due_date_from = filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label="Due from", widget=_date_input()
    )
    due_date_to = filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label="Due to", widget=_date_input()
    )
    overdue = filters.BooleanFilter(
        method="filter_overdue", label="Overdue only", widget=CheckboxBooleanWidget
    )
    sort = StableOrderingFilter(
        fields=(
            ("number", "number"),
            ("account__legal_name", "account"),
            ("invoice_date", "invoice_date"),
            ("due_date", "due_date"),
            ("total_amount", "total"),
            ("status", "status"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Invoice
        fields: list[str] = []
        form = InvoiceFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["widget"] = currency_select(Invoice)

    def filter_search(self, queryset, name, value):
        """See invoice_search_q. Without a chosen sort, an exact number comes first,
        then numbers that start with the term, then the rest, in number order. A term
        that matches more than RANK_MATCHES_UP_TO invoices (the database's estimate, as
        the count of a long list) keeps the list's own order, newest first: ranking them
        sorts every match before the first page (2.3 s for "INV" at 1M invoices), while
        newest first reads matches along the list's index until the page is full. Such a
        term is a prefix shared by the whole book, not a number: there is no exact match
        to lift."""
        term = (value or "").strip()
        if not term:
            return queryset
        condition = invoice_search_q(term)
        queryset = queryset.filter(condition)
        if self.data.get("sort"):
            return queryset
        matches = estimated_count(queryset)
        if matches is not None and matches > RANK_MATCHES_UP_TO:
            return queryset
        rank = Case(
            When(number__iexact=term, then=Value(0)),
            When(number__istartswith=term, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return queryset.order_by(rank, "number", "-id")

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = overdue_q()
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class PaymentFilter(filters.FilterSet):
    q = filters.CharFilter(
        label="Reference",
        method="filter_reference",
        widget=forms.TextInput(attrs={"placeholder": "Bank or check reference"}),
        help_text="The start of the bank reference or of the processor's payment id.",
    )
    account = filters.CharFilter(
        method=_account,
        max_length=200,
        label="Account",
        widget=forms.TextInput(attrs={"placeholder": "Account name"}),
        help_text="An account id, or part of the account's name.",
    )
    method = filters.ChoiceFilter(choices=PaymentMethod.choices, empty_label="Any")
    currency = filters.CharFilter(label="Currency", max_length=3)
    received_from = filters.DateFilter(
        field_name="received_date", lookup_expr="gte", label="Received from",
        widget=_date_input(),
    )  # fmt: skip
    received_to = filters.DateFilter(
        field_name="received_date", lookup_expr="lte", label="to", widget=_date_input()
    )
    received_date_from = filters.DateFilter(field_name="received_date", lookup_expr="gte")
    received_date_to = filters.DateFilter(field_name="received_date", lookup_expr="lte")
    unapplied = filters.BooleanFilter(
        method="filter_has_unapplied", label="Has unapplied cash", widget=CheckboxBooleanWidget
    )
    has_unapplied = filters.BooleanFilter(
        method="filter_has_unapplied", label="Has unapplied", widget=CheckboxBooleanWidget
    )
    sort = StableOrderingFilter(
        fields=(
            ("received_date", "received_date"),
            ("account__legal_name", "account"),
            ("amount", "amount"),
            ("reference", "reference"),
            ("method", "method"),
        ),
        label="Sort by",
    )

    class Meta:
        model = Payment
        fields: list[str] = []
        form = PaymentFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["currency"].extra["widget"] = currency_select(Payment)

    def filter_reference(self, queryset, name, value):
        term = (value or "").strip()
        if not term:
            return queryset
        return queryset.filter(payment_search_q(term))

    def filter_has_unapplied(self, queryset, name, value):
        if value is None:
            return queryset
        unapplied = unapplied_q()
        return queryset.filter(unapplied) if value else queryset.exclude(unapplied)
