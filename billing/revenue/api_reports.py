"""REST reports of revenue recognition: contract balances and the waterfall, one page at a
time (issue 20). `page` counts from 1; `page_size` defaults to 100 and is refused above
500; `summary_only=true` answers the totals over every row without the rows. The
exports (`/revenue/export/...`) still give every row.

Balances keep their answer a list of rows (what clients read); the page is told in the
`X-Total-Count` and `Link` (rel next / prev) headers. The waterfall is an object: its page
comes with `count`, `page`, `page_size`, `pages` and `totals`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import ReportDateField
from core.api_permissions import NamedPermission
from core.errors import DomainValidationError

from .error_codes import RevenueError
from .selectors import Scope, accounting_map
from .selectors.paged import (
    BALANCE_TOTALS,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Paging,
    balances_page,
    waterfall_page,
)


class PageQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(
        required=False, min_value=1, default=1, help_text="Page number, from 1."
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PAGE_SIZE,
        default=DEFAULT_PAGE_SIZE,
        help_text=f"Rows per page, at most {MAX_PAGE_SIZE}.",
    )
    summary_only = serializers.BooleanField(
        required=False, default=False, help_text="Only the totals over every row, no rows."
    )


def _page_links(request, paging: Paging) -> str:
    links = []
    for rel, number in (("prev", paging.page - 1), ("next", paging.page + 1)):
        if 1 <= number <= paging.pages:
            query = {**request.query_params.dict(), "page": number}
            links.append(
                f'<{request.build_absolute_uri(request.path)}?{urlencode(query)}>; rel="{rel}"'
            )
    return ", ".join(links)


# --- Balances -------------------------------------------------------------------------------


class BalanceOutputSerializer(serializers.Serializer):
    contract = serializers.IntegerField(source="contract_id")
    reference = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    account_name = serializers.CharField()
    currency = serializers.CharField()
    billed = serializers.DecimalField(max_digits=19, decimal_places=4)
    recognised = serializers.DecimalField(max_digits=19, decimal_places=4)
    refund_liability = serializers.DecimalField(max_digits=19, decimal_places=4)
    net_position = serializers.DecimalField(max_digits=19, decimal_places=4)
    contract_asset = serializers.DecimalField(max_digits=19, decimal_places=4)
    contract_liability = serializers.DecimalField(max_digits=19, decimal_places=4)
    position = serializers.CharField()
    revenue_pending = serializers.BooleanField()


class BalanceSummarySerializer(serializers.Serializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    count = serializers.IntegerField(help_text="Contracts with a balance (rows over all pages)")
    billed = serializers.DecimalField(max_digits=19, decimal_places=4)
    recognised = serializers.DecimalField(max_digits=19, decimal_places=4)
    refund_liability = serializers.DecimalField(max_digits=19, decimal_places=4)
    contract_asset = serializers.DecimalField(max_digits=19, decimal_places=4)
    contract_liability = serializers.DecimalField(max_digits=19, decimal_places=4)


class BalanceQuerySerializer(PageQuerySerializer):
    as_of = ReportDateField(required=False)
    currency = serializers.CharField(required=False, max_length=3)
    contract = serializers.IntegerField(required=False)
    account = serializers.IntegerField(required=False)


PAGE_HEADERS = [
    OpenApiParameter(
        "X-Total-Count",
        OpenApiTypes.INT,
        OpenApiParameter.HEADER,
        response=True,
        description="Rows over every page",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description='The next and previous pages (rel="next", rel="prev")',
    ),
]


class ContractBalancesView(APIView):
    """One net position per contract as of a date (default today), by contract id, one
    page at a time; `summary_only=true` (with `currency`): the totals alone."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.view_revenue_reports"

    @extend_schema(
        parameters=[BalanceQuerySerializer, *PAGE_HEADERS],
        responses={
            200: OpenApiResponse(
                BalanceOutputSerializer(many=True),
                description="A page of rows; with summary_only=true a BalanceSummary object",
            )
        },
    )
    def get(self, request):
        query = BalanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        contract_ids = None
        if data.get("contract"):  # an amendment combined with its original: the original
            contract_ids = (
                accounting_map([data["contract"]]).get(data["contract"], data["contract"]),
            )
        scope = Scope(
            currency=(data.get("currency") or "").upper() or None,
            account_id=data.get("account"),
            contract_ids=contract_ids,
        )
        as_of = data.get("as_of") or timezone.localdate()
        if data["summary_only"] and not scope.currency:
            raise DomainValidationError(
                field="currency",
                code=RevenueError.REQUIRED,
                message="Totals add up one currency: give currency with summary_only.",
            )
        shown = balances_page(
            as_of,
            scope,
            page=data["page"],
            page_size=data["page_size"],
            rows=not data["summary_only"],
        )
        if data["summary_only"]:
            summary = {
                "as_of": as_of,
                "currency": scope.currency,
                "count": shown.paging.count,
                **{name: shown.totals[name] for name in BALANCE_TOTALS},
            }
            return Response(BalanceSummarySerializer(summary).data)
        response = Response(BalanceOutputSerializer(shown.rows, many=True).data)
        response["X-Total-Count"] = str(shown.paging.count)
        links = _page_links(request, shown.paging)
        if links:
            response["Link"] = links
        return response


# --- Waterfall ------------------------------------------------------------------------------


class WaterfallQuerySerializer(PageQuerySerializer):
    as_of = ReportDateField(required=False)
    currency = serializers.CharField(max_length=3)
    start = ReportDateField(required=False)
    months = serializers.IntegerField(required=False, min_value=1, max_value=36, default=12)


class WaterfallView(APIView):
    """Revenue by month per contract and product (recognised, then still scheduled), by
    contract reference and product, one page at a time, with the totals of every row."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.view_revenue_reports"

    @extend_schema(
        parameters=[WaterfallQuerySerializer],
        responses={
            200: OpenApiResponse(
                {"type": "object"},
                description="as_of, currency, months, recognised, rows (this page), count, "
                "page, page_size, pages, totals {before, months, after, total}",
            )
        },
    )
    def get(self, request):
        query = WaterfallQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        shown = waterfall_page(
            as_of=data.get("as_of") or timezone.localdate(),
            currency=data["currency"].upper(),
            start=data.get("start"),
            months=data["months"],
            page=data["page"],
            page_size=data["page_size"],
            rows=not data["summary_only"],
        )
        report = shown.report
        return Response(
            {
                "as_of": report.as_of,
                "currency": report.currency,
                "months": [m.strftime("%Y-%m") for m in report.months],
                "recognised": report.recognised_months,
                "rows": [
                    {
                        "contract": r.contract_id,
                        "reference": r.reference,
                        "product": r.product_id,
                        "product_name": r.product,
                        "before": str(r.before),
                        "months": [str(v) for v in r.months],
                        "after": str(r.after),
                        "total": str(r.total),
                    }
                    for r in report.rows
                ],
                "count": shown.paging.count,
                "page": shown.paging.page,
                "page_size": shown.paging.page_size,
                "pages": shown.paging.pages,
                "totals": {
                    "before": str(shown.before),
                    "months": [str(v) for v in shown.columns],
                    "after": str(shown.after),
                    "total": str(shown.total),
                },
            }
        )
