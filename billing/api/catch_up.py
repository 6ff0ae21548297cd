"""GET /api/v1/contracts/<id>/catch-up-preview/: what activating the contract (or billing
it today) bills at once for past periods, and its first invoice; the same selector as the
activation confirmation page and the billing run page."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors.catch_up import catch_up_preview
from core.api_permissions import NamedPermission
from core.money import round_money
from ordermgmt.models import Contract


class CatchUpPeriodSerializer(serializers.Serializer):
    line = serializers.CharField(help_text="SKU of the contract line")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    billing_date = serializers.DateField()
    amount = serializers.CharField()


class CatchUpOutputSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    reference = serializers.CharField()
    currency = serializers.CharField()
    as_of = serializers.DateField()
    starts_in_past = serializers.BooleanField()
    needs_confirmation = serializers.BooleanField()
    period_count = serializers.IntegerField()
    amount = serializers.CharField(help_text="Catch-up before tax")
    first_invoice_date = serializers.DateField(allow_null=True)
    first_invoice_amount = serializers.CharField(help_text="Before tax")
    periods = CatchUpPeriodSerializer(many=True)


def catch_up_data(preview) -> dict:
    def money(value):
        return str(round_money(value, preview.currency))

    return {
        "contract": preview.contract_id,
        "reference": preview.reference,
        "currency": preview.currency,
        "as_of": preview.as_of,
        "starts_in_past": preview.starts_in_past,
        "needs_confirmation": preview.needs_confirmation,
        "period_count": preview.period_count,
        "amount": money(preview.amount),
        "first_invoice_date": preview.first_invoice_date,
        "first_invoice_amount": money(preview.first_invoice_amount),
        "periods": [
            {
                "line": p.line,
                "period_start": p.period_start,
                "period_end": p.period_end,
                "billing_date": p.billing_date,
                "amount": money(p.amount),
            }
            for p in preview.periods
        ],
    }


class CatchUpPreviewView(APIView):
    permission_classes = [NamedPermission]
    permission_required = "ordermgmt.view_contract"

    @extend_schema(
        responses=CatchUpOutputSerializer,
        parameters=[OpenApiParameter("as_of", str, description="A date; default today")],
    )
    def get(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        as_of = None
        if request.query_params.get("as_of"):
            try:
                as_of = serializers.DateField().run_validation(request.query_params["as_of"])
            except serializers.ValidationError as err:
                raise serializers.ValidationError({"as_of": err.detail}) from None
        preview = catch_up_preview(contract=contract, as_of=as_of)
        return Response(CatchUpOutputSerializer(catch_up_data(preview)).data)
