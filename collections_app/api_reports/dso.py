"""DSO over the REST API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_fields import ReportDateField
from core.api_permissions import NamedPermission
from core.money import money_string

from ..reports import access
from ..reports.aging import (
    reporting_currency_default,
)
from ..reports.dso import (
    TREND_MONTHS,
    ArBasis,
    DsoMethod,
    DsoParams,
    MonthDays,
    dso_for_period,
    dso_trend,
    read_dso_book,
)
from .aging import RateSerializer
from .common import days

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
            "ending_ar": money_string(result.ending_ar, currency),
            "gross_ar": money_string(result.gross_ar, currency),
            "unapplied_credits": money_string(result.unapplied_credits, currency),
            "credit_sales": money_string(result.credit_sales, currency),
            "dso": days(result.dso),
            "simple_dso": days(result.simple),
            "countback_dso": days(countback.dso if countback else None),
            "countback_exhausted": bool(countback and countback.exhausted),
            "countback_steps": [
                {
                    "month": step.month,
                    "sales": money_string(step.sales, currency),
                    "ar_before": money_string(step.ar_before, currency),
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
                    "ending_ar": money_string(point.ending_ar, currency),
                    "sales": money_string(point.sales, currency),
                }
                for point in dso_trend(params, book=book)
            ]
        return Response(DsoOutputSerializer(payload).data)
