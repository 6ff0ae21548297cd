"""Console lists of contracts and customers: filters (ordermgmt/filters.py, the same as the
API's), sortable columns and a CSV of the filtered list."""

from __future__ import annotations

from django.shortcuts import render

from core import list_exports
from core.pagination import EstimatedCountPaginator
from core.permissions import require
from ordermgmt.filters import AccountFilter, ContractFilter
from ordermgmt.models import Account, Contract

PER_PAGE = 50
EXPORT_PERMISSION = "collections_app.export_finance_reports"

CONTRACT_COLUMNS = [
    list_exports.Column("reference", lambda c: c.reference),
    list_exports.Column("name", lambda c: c.name),
    list_exports.Column("account_id", lambda c: c.account_id),
    list_exports.Column("account", lambda c: c.account.legal_name),
    list_exports.Column("status", lambda c: c.status),
    list_exports.Column("kind", lambda c: c.kind),
    list_exports.Column("po_number", lambda c: c.po_number),
    list_exports.Column("currency", lambda c: c.currency),
    list_exports.Column("start_date", lambda c: c.start_date),
    list_exports.Column("end_date", lambda c: c.end_date),
    list_exports.Column("billing_frequency", lambda c: c.billing_frequency),
    list_exports.Column("payment_terms", lambda c: c.payment_terms),
]
CUSTOMER_COLUMNS = [
    list_exports.Column("account_id", lambda a: a.pk),
    list_exports.Column("name", lambda a: a.legal_name),
    list_exports.Column("country", lambda a: a.billing_country),
    list_exports.Column("currency", lambda a: a.default_currency),
    list_exports.Column("payment_terms", lambda a: a.default_payment_terms),
    list_exports.Column("tax_id", lambda a: a.tax_id),
    list_exports.Column("salesforce_id", lambda a: a.salesforce_id or ""),
    list_exports.Column("stripe_customer_id", lambda a: a.stripe_customer_id or ""),
]


def _contracts(request) -> ContractFilter:
    queryset = Contract.objects.select_related("account").order_by("-id")
    return ContractFilter(request.GET or None, queryset=queryset)


def _customers(request) -> AccountFilter:
    return AccountFilter(request.GET or None, queryset=Account.objects.order_by("legal_name", "id"))


def _list_page(request, template: str, filterset) -> dict:
    page = EstimatedCountPaginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "form": filterset.form,
            "page": page,
            "page_query": query.urlencode(),
            "sort": request.GET.get("sort", ""),
            "can_export": request.user.has_perm(EXPORT_PERMISSION),
        },
    )


@require("ordermgmt.view_contract")
def contract_list(request):
    return _list_page(request, "console/contract_list.html", _contracts(request))


@require("ordermgmt.view_contract", EXPORT_PERMISSION)
def contract_export(request):
    return list_exports.csv_response(
        user=request.user, report="contracts", filterset=_contracts(request),
        columns=CONTRACT_COLUMNS,
    )  # fmt: skip


@require("ordermgmt.view_account")
def customer_list(request):
    return _list_page(request, "console/customer_list.html", _customers(request))


@require("ordermgmt.view_account", EXPORT_PERMISSION)
def customer_export(request):
    return list_exports.csv_response(
        user=request.user, report="customers", filterset=_customers(request),
        columns=CUSTOMER_COLUMNS,
    )  # fmt: skip
