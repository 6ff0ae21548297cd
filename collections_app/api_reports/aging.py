"""AR aging over the REST API."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import ReportDateField
from core.api_permissions import NamedPermission
from core.money import money_string
from ordermgmt.models import Account

from ..reports import access
from ..reports.aging import (
    AgingBasis,
    AgingParams,
    AgingReport,
    aging_page,
    aging_totals,
    ar_aging,
    reporting_currency_default,
)
from ..reports.aging_documents import (
    aging_documents,
)
from .common import page_links

# --- Aging -------------------------------------------------------------------------------


class AgingInputSerializer(serializers.Serializer):
    as_of = ReportDateField(
        help_text="Report date: documents and applications dated "
        "on or before it count. Default: today.",
        required=False,
    )
    basis = serializers.ChoiceField(
        choices=AgingBasis.CHOICES, default=AgingBasis.DUE_DATE, help_text="Age by"
    )
    edges = serializers.CharField(
        default="30,60,90,120",
        help_text="Upper ends in days of the overdue buckets, comma separated, increasing.",
    )
    currency = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Only this document currency"
    )
    reporting_currency = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Default: the setting (USD)"
    )

    def to_params(self) -> AgingParams:
        from django.utils import timezone

        data = self.validated_data
        return AgingParams(
            as_of=data.get("as_of") or timezone.localdate(),
            basis=data["basis"],
            edges=data["edges"],
            currency=(data.get("currency") or "").upper() or None,
            reporting_currency=(data.get("reporting_currency") or "").upper()
            or reporting_currency_default(),
        )


AGING_PAGE_SIZE = 100
AGING_MAX_PAGE_SIZE = 1000


class AgingPageInputSerializer(AgingInputSerializer):
    """The summary's customer rows come a page at a time (in the order of the report:
    currency, then customer name), or not at all with summary_only; the totals always
    cover every customer. Paged and totalled in the database, so a page costs the same
    whichever it is and however many customers there are."""

    page = serializers.IntegerField(min_value=1, default=1)
    page_size = serializers.IntegerField(
        min_value=1,
        default=AGING_PAGE_SIZE,
        help_text=f"Customer rows per page, at most {AGING_MAX_PAGE_SIZE} (larger is cut)",
    )
    summary_only = serializers.BooleanField(
        default=False,
        help_text="Totals per currency and in the reporting currency, no rows (count is "
        "still the number of customer rows)",
    )


class BucketSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    from_days = serializers.IntegerField(allow_null=True)
    to_days = serializers.IntegerField(allow_null=True)


class AmountsSerializer(serializers.Serializer):
    buckets = serializers.DictField(child=serializers.CharField(), help_text="bucket key -> amount")
    unapplied_credits = serializers.CharField(help_text="Unapplied cash, zero or negative")
    open_total = serializers.CharField(help_text="Sum of the buckets")
    net_total = serializers.CharField(help_text="open_total + unapplied_credits: the AR balance")


class AgingRowSerializer(AmountsSerializer):
    account_id = serializers.IntegerField()
    account_name = serializers.CharField()


class CurrencyAgingSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rows = AgingRowSerializer(many=True)
    totals = AmountsSerializer()


class RateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    reporting_currency = serializers.CharField()
    rate = serializers.CharField()
    rate_date = serializers.DateField(allow_null=True, help_text="null: same currency")


class ReportingTotalSerializer(AmountsSerializer):
    currency = serializers.CharField()
    rates = RateSerializer(many=True)


class AgingOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    basis = serializers.CharField()
    edges = serializers.ListField(child=serializers.IntegerField())
    currency = serializers.CharField(allow_null=True)
    buckets = BucketSerializer(many=True)
    currencies = CurrencyAgingSerializer(many=True)
    reporting_total = ReportingTotalSerializer(allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField())


class AgingPageOutputSerializer(AgingOutputSerializer):
    count = serializers.IntegerField(help_text="Customer rows in the whole report")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    summary_only = serializers.BooleanField()


def _amounts(buckets, keys, credits, open_total, net_total, currency) -> dict:
    return {
        "buckets": {k: money_string(v, currency) for k, v in zip(keys, buckets, strict=True)},
        "unapplied_credits": money_string(credits, currency),
        "open_total": money_string(open_total, currency),
        "net_total": money_string(net_total, currency),
    }


def aging_payload(report: AgingReport) -> dict:
    """The report as the API gives it: the rows it holds (all, or one page's) and every
    currency's totals."""
    keys = [b.key for b in report.buckets]
    reporting = None
    if report.reporting:
        r = report.reporting
        reporting = {
            "currency": r.currency,
            **_amounts(r.buckets, keys, r.unapplied_credits, r.open_total, r.net_total, r.currency),
            "rates": [
                {
                    "currency": rate.currency,
                    "reporting_currency": rate.reporting_currency,
                    "rate": f"{rate.rate.normalize():f}",
                    "rate_date": rate.rate_date,
                }
                for rate in r.rates
            ],
        }
    return {
        "as_of": report.params.as_of,
        "basis": report.params.basis,
        "edges": list(report.params.edges),
        "currency": report.params.currency,
        "buckets": [
            {"key": b.key, "label": b.label, "from_days": b.from_days, "to_days": b.to_days}
            for b in report.buckets
        ],
        "currencies": [
            {
                "currency": table.currency,
                "rows": [
                    {
                        "account_id": row.account_id,
                        "account_name": row.account_name,
                        **_amounts(
                            row.buckets,
                            keys,
                            row.unapplied_credits,
                            row.open_total,
                            row.net_total,
                            row.currency,
                        ),
                    }
                    for row in table.rows
                ],
                "totals": _amounts(
                    table.buckets,
                    keys,
                    table.unapplied_credits,
                    table.open_total,
                    table.net_total,
                    table.currency,
                ),
            }
            for table in report.currencies
        ],
        "reporting_total": reporting,
        "warnings": [report.missing_rate_message] if report.missing_rates else [],
    }


class ArAgingView(APIView):
    """AR aging as of a date, per currency and customer, with a reporting-currency total
    at the as-of FX rates (or a warning naming the missing rates)."""

    permission_classes = [NamedPermission]
    permission_required = access.AGING_VIEW_PERMISSIONS

    @extend_schema(parameters=[AgingPageInputSerializer], responses=AgingPageOutputSerializer)
    def get(self, request):
        query = AgingPageInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.to_params()
        data = query.validated_data
        page, summary_only = data["page"], data["summary_only"]
        page_size = min(data["page_size"], AGING_MAX_PAGE_SIZE)
        if summary_only:
            report = aging_totals(params)
        else:
            report = aging_page(params, page=page, page_size=page_size).report
        count = report.row_count
        payload = aging_payload(report)
        num_pages = 1 if summary_only else max(1, -(-count // page_size))
        following, previous = page_links(request, page, num_pages)
        payload |= {
            "count": count,
            "page": page,
            "page_size": page_size,
            "next": following,
            "previous": previous,
            "summary_only": summary_only,
        }
        return Response(AgingPageOutputSerializer(payload).data)


class AgingDocumentSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="invoice or payment (unapplied cash)")
    id = serializers.IntegerField()
    reference = serializers.CharField(help_text="Invoice number or payment reference")
    currency = serializers.CharField()
    document_date = serializers.DateField()
    due_date = serializers.DateField(allow_null=True)
    days = serializers.IntegerField(
        allow_null=True, help_text="Days past due (or since the invoice date, by basis)"
    )
    bucket = serializers.CharField(help_text="Bucket key, or unapplied_credits")
    amount = serializers.CharField()
    credited_to_date = serializers.CharField()
    applied_to_date = serializers.CharField()
    refunded_to_date = serializers.CharField()
    open_amount = serializers.CharField(help_text="Open amount; unapplied cash is negative")


class AccountAgingOutputSerializer(AgingOutputSerializer):
    account_id = serializers.IntegerField()
    account_name = serializers.CharField()
    documents = AgingDocumentSerializer(many=True)


class ArAgingAccountView(APIView):
    """One customer's aging as of a date: the summary row(s) and every open document."""

    permission_classes = [NamedPermission]
    permission_required = access.AGING_VIEW_PERMISSIONS

    @extend_schema(parameters=[AgingInputSerializer], responses=AccountAgingOutputSerializer)
    def get(self, request, account_id: int):
        account = get_object_or_404(Account, pk=account_id)
        query = AgingInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.to_params()
        report = ar_aging(params, account_id=account.pk)
        keys = {b.index: b.key for b in report.buckets}
        payload = aging_payload(report)
        payload.update(
            {
                "account_id": account.pk,
                "account_name": account.legal_name,
                "documents": [
                    {
                        "kind": doc.kind,
                        "id": doc.pk,
                        "reference": doc.reference,
                        "currency": doc.currency,
                        "document_date": doc.document_date,
                        "due_date": doc.due_date,
                        "days": doc.days,
                        "bucket": keys.get(doc.bucket, "unapplied_credits"),
                        "amount": money_string(doc.amount, doc.currency),
                        "credited_to_date": money_string(doc.credited, doc.currency),
                        "applied_to_date": money_string(doc.settled, doc.currency),
                        "refunded_to_date": money_string(doc.refunded, doc.currency),
                        "open_amount": money_string(doc.open_amount, doc.currency),
                    }
                    for doc in aging_documents(params, account_id=account.pk)
                ],
            }
        )
        return Response(AccountAgingOutputSerializer(payload).data)
