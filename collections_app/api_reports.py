"""REST API of the AR reports under /api/v1/reports/: aging (summary and one customer's
documents), DSO, and export jobs (ask for an export, follow it, fetch its file).

Role checks are the pages' (collections_app.reports.access): the aging for whoever reads
invoices and payments (Finance, Auditor, Admin, Order Specialist), DSO for Finance,
Auditor and Admin; others get 403. Export jobs need the export permission (Finance,
Auditor, Admin), and a job is visible to the user who asked for it and to Admins (others
get 404). Bad parameters give 400 {field, code, message}.
Amounts are strings with their currency's own decimals ("1234.50", JPY "1235").
"""

from __future__ import annotations

from decimal import Decimal

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from billing.money import minor_unit
from collections_app.models import ExportJob, ExportJobStatus
from ordermgmt.api_fields import ReportDateField
from ordermgmt.models import Account
from ordermgmt.permissions import NamedPermission

from .reports import access, export_jobs, exports
from .reports.aging import (
    AgingBasis,
    AgingParams,
    AgingReport,
    ar_aging,
    reporting_currency_default,
)
from .reports.aging_documents import (
    aging_documents,
)
from .reports.dso import (
    TREND_MONTHS,
    ArBasis,
    DsoMethod,
    DsoParams,
    MonthDays,
    dso_for_period,
    dso_trend,
    read_dso_book,
)


def money(value: Decimal | None, currency: str) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(Decimal(1).scaleb(-minor_unit(currency))):f}"


def days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(Decimal('0.01')):f}"


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


def _amounts(buckets, keys, credits, open_total, net_total, currency) -> dict:
    return {
        "buckets": {k: money(v, currency) for k, v in zip(keys, buckets, strict=True)},
        "unapplied_credits": money(credits, currency),
        "open_total": money(open_total, currency),
        "net_total": money(net_total, currency),
    }


def aging_payload(report: AgingReport) -> dict:
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

    @extend_schema(parameters=[AgingInputSerializer], responses=AgingOutputSerializer)
    def get(self, request):
        query = AgingInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = ar_aging(query.to_params())
        return Response(AgingOutputSerializer(aging_payload(report)).data)


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
                        "amount": money(doc.amount, doc.currency),
                        "credited_to_date": money(doc.credited, doc.currency),
                        "applied_to_date": money(doc.settled, doc.currency),
                        "refunded_to_date": money(doc.refunded, doc.currency),
                        "open_amount": money(doc.open_amount, doc.currency),
                    }
                    for doc in aging_documents(params, account_id=account.pk)
                ],
            }
        )
        return Response(AccountAgingOutputSerializer(payload).data)


# --- DSO ---------------------------------------------------------------------------------


class DsoInputSerializer(serializers.Serializer):
    start = ReportDateField(help_text="First day of the period")
    end = ReportDateField(help_text="Last day of the period (ending AR is as of it)")
    method = serializers.ChoiceField(choices=DsoMethod.CHOICES, default=DsoMethod.SIMPLE)
    ar_basis = serializers.ChoiceField(choices=ArBasis.CHOICES, default=ArBasis.NET)
    month_days = serializers.ChoiceField(
        choices=MonthDays.CHOICES,
        default=MonthDays.ACTUAL,
        help_text="Countback: actual calendar days or 30-day months",
    )
    currency = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="One document currency; empty: every currency in the reporting currency",
    )
    reporting_currency = serializers.CharField(required=False, allow_blank=True, default="")
    trend = serializers.BooleanField(
        default=False, help_text="Add DSO at each of the last 12 month ends"
    )

    def to_params(self) -> DsoParams:
        data = self.validated_data
        return DsoParams(
            start=data["start"],
            end=data["end"],
            method=data["method"],
            ar_basis=data["ar_basis"],
            month_days=data["month_days"],
            currency=(data.get("currency") or "").upper() or None,
            reporting_currency=(data.get("reporting_currency") or "").upper()
            or reporting_currency_default(),
        )


class CountbackStepSerializer(serializers.Serializer):
    month = serializers.DateField()
    sales = serializers.CharField()
    ar_before = serializers.CharField()
    days_counted = serializers.CharField()
    full_month = serializers.BooleanField()


class TrendPointSerializer(serializers.Serializer):
    month = serializers.DateField()
    as_of = serializers.DateField()
    dso = serializers.CharField(allow_null=True)
    ending_ar = serializers.CharField(allow_null=True)
    sales = serializers.CharField(allow_null=True)


class DsoOutputSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    method = serializers.CharField()
    ar_basis = serializers.CharField()
    month_days = serializers.CharField()
    currency = serializers.CharField(help_text="Currency of the amounts")
    days = serializers.IntegerField(help_text="Days in the period, both ends included")
    ending_ar = serializers.CharField(allow_null=True)
    gross_ar = serializers.CharField(allow_null=True)
    unapplied_credits = serializers.CharField(allow_null=True)
    credit_sales = serializers.CharField(allow_null=True)
    dso = serializers.CharField(allow_null=True, help_text="By the chosen method, 2 decimals")
    simple_dso = serializers.CharField(allow_null=True)
    countback_dso = serializers.CharField(allow_null=True)
    countback_exhausted = serializers.BooleanField(
        help_text="AR exceeds every month's sales walked back (36 months)"
    )
    countback_steps = CountbackStepSerializer(many=True)
    rates = RateSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    trend = TrendPointSerializer(many=True, required=False)


class DsoView(APIView):
    """Days sales outstanding for a period: simple and countback, net or gross AR."""

    permission_classes = [NamedPermission]
    permission_required = access.DSO_VIEW_PERMISSION

    @extend_schema(parameters=[DsoInputSerializer], responses=DsoOutputSerializer)
    def get(self, request):
        query = DsoInputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.to_params()
        with_trend = query.validated_data["trend"]
        book = read_dso_book(params, TREND_MONTHS if with_trend else 0)  # one reading
        result = dso_for_period(params, book=book)
        currency = result.currency
        countback = result.countback
        payload = {
            **{k: v for k, v in params.as_dict().items() if k not in {"currency", "start", "end"}},
            "start": params.start,
            "end": params.end,
            "currency": currency,
            "days": result.days,
            "ending_ar": money(result.ending_ar, currency),
            "gross_ar": money(result.gross_ar, currency),
            "unapplied_credits": money(result.unapplied_credits, currency),
            "credit_sales": money(result.credit_sales, currency),
            "dso": days(result.dso),
            "simple_dso": days(result.simple),
            "countback_dso": days(countback.dso if countback else None),
            "countback_exhausted": bool(countback and countback.exhausted),
            "countback_steps": [
                {
                    "month": step.month,
                    "sales": money(step.sales, currency),
                    "ar_before": money(step.ar_before, currency),
                    "days_counted": days(step.days_counted),
                    "full_month": step.full_month,
                }
                for step in (countback.steps if countback else [])
            ],
            "rates": [
                {
                    "currency": rate.currency,
                    "reporting_currency": rate.reporting_currency,
                    "rate": f"{rate.rate.normalize():f}",
                    "rate_date": rate.rate_date,
                }
                for rate in result.rates
            ],
            "warnings": [result.missing_rate_message] if result.missing_rates else [],
        }
        if with_trend:
            payload["trend"] = [
                {
                    "month": point.month,
                    "as_of": point.as_of,
                    "dso": days(point.dso),
                    "ending_ar": money(point.ending_ar, currency),
                    "sales": money(point.sales, currency),
                }
                for point in dso_trend(params, book=book)
            ]
        return Response(DsoOutputSerializer(payload).data)


# --- Export jobs -------------------------------------------------------------------------


class ExportJobInputSerializer(AgingInputSerializer):
    report = serializers.ChoiceField(
        choices=sorted(exports.REPORTS),
        help_text="aging: one row per customer and currency; aging_documents: every open document",
    )
    file_format = serializers.ChoiceField(choices=sorted(exports.FORMATS))
    account = serializers.IntegerField(
        required=False, allow_null=True, help_text="Only this customer (an account id)"
    )


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.CharField()
    file_format = serializers.CharField()
    parameters = serializers.DictField(help_text="The report parameters, as logged")
    status = serializers.ChoiceField(choices=ExportJobStatus.choices)
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True, help_text="null: not counted yet")
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True, help_text="Why a failed job stopped")
    file_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.CharField()
    file_url = serializers.CharField(allow_null=True, help_text="Set when the job is done")


def export_job_payload(job: ExportJob, request) -> dict:
    done = job.status == ExportJobStatus.DONE
    return {
        "id": job.pk,
        "report": job.report,
        "file_format": job.file_format,
        "parameters": job.parameters,
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.progress_percent,
        "error": job.error,
        "file_name": job.file_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "status_url": reverse("api-export-job", args=[job.pk], request=request),
        "file_url": reverse("api-export-job-file", args=[job.pk], request=request)
        if done
        else None,
    }


def _visible_job(request, job_id: int) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=job_id)
    if not export_jobs.job_visible_to(job, request.user):
        raise Http404("No such export job.")
    return job


class ExportJobsView(APIView):
    """Ask for an export of the AR aging (CSV or XLSX): a job built in the background;
    follow it at `status_url` and fetch the file at `file_url` when it is done."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(
        request=ExportJobInputSerializer,
        responses={202: ExportJobOutputSerializer},
    )
    def post(self, request):
        data = ExportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = export_jobs.request_export(
            user=request.user,
            report=data.validated_data["report"],
            file_format=data.validated_data["file_format"],
            params=data.to_params(),
            account_id=data.validated_data.get("account"),
        )
        job.refresh_from_db()  # an eager build (no broker) has finished already
        return Response(
            ExportJobOutputSerializer(export_job_payload(job, request)).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ExportJobView(APIView):
    """An export job's status and progress (rows done / rows total)."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request, job_id: int):
        job = _visible_job(request, job_id)
        return Response(ExportJobOutputSerializer(export_job_payload(job, request)).data)


class ExportJobFileView(APIView):
    """The file of a done export job (CSV or XLSX)."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX"
            ),
            404: OpenApiResponse(description="No such job, not yours, or not done"),
        }
    )
    def get(self, request, job_id: int):
        job = _visible_job(request, job_id)
        if job.status != ExportJobStatus.DONE or not job.file:
            raise Http404("The export has no file (yet).")
        response = FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=job.file_name,
            content_type=exports.CONTENT_TYPES[job.file_format],
        )
        response["Cache-Control"] = "no-store"
        return response
