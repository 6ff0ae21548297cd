"""Revenue operations on one contract over /api/v1/revenue/contracts/<id>/: re-estimate its
variable consideration (with a note), rebuild its revenue once the cause of a revenue
exception is fixed, and list its revenue exceptions. Each write is one call to
billing.revenue.services, as the contract's revenue page makes it; a refusal is HTTP 400
{field, code, message}. The same operations are `manage.py revenue_ops` commands."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_permissions import NamedPermission
from ordermgmt.models import Contract

from . import services
from .api import AllocationOutputSerializer
from .models import RevenueException


class RevenueExceptionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = RevenueException
        fields = ["id", "contract", "field", "code", "message", "raised_at", "resolved_at"]


class ReestimateInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=19,
        decimal_places=4,
        help_text="The new estimate of variable consideration (negative: expected credits).",
    )
    effective_date = serializers.DateField(help_text="The catch-up is recognised on this date.")
    note = serializers.CharField(
        allow_blank=True, max_length=2000, help_text="Why the estimate changed (required)."
    )


class RebuildOutputSerializer(serializers.Serializer):
    contract = serializers.IntegerField()
    open_exceptions = serializers.IntegerField()


def open_exception_count(contract: Contract) -> int:
    return RevenueException.objects.filter(contract=contract, resolved_at__isnull=True).count()


class ReestimateView(APIView):
    """Re-estimate variable consideration (606-10-32-14): re-allocated on the inception
    basis, caught up on the effective date, the note kept on the new allocation."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.recognise_revenue"

    @extend_schema(request=ReestimateInputSerializer, responses={201: AllocationOutputSerializer})
    def post(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        body = ReestimateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        allocation = services.reestimate_variable_consideration(
            contract=contract, actor=request.user, **body.validated_data
        )
        return Response(AllocationOutputSerializer(allocation).data, status=status.HTTP_201_CREATED)


class RebuildView(APIView):
    """Build the revenue that activation could not (a revenue exception), once its cause
    (a missing SSP, a pending modification decision...) is fixed; resolves the exceptions."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.recognise_revenue"

    @extend_schema(request=None, responses=RebuildOutputSerializer)
    def post(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        services.recognise_contract_revenue(contract=contract, actor=request.user)
        return Response(
            {"contract": contract.pk, "open_exceptions": open_exception_count(contract)}
        )


@extend_schema(
    parameters=[
        OpenApiParameter("open", bool, description="true: only unresolved; false: only resolved")
    ]
)
class RevenueExceptionListView(generics.ListAPIView):
    """Why a contract's revenue could not be built, newest first."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.view_revenueexception"
    serializer_class = RevenueExceptionOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        contract = get_object_or_404(Contract, pk=self.kwargs["contract_id"])
        rows = RevenueException.objects.filter(contract=contract).order_by("-raised_at", "-id")
        wanted = self.request.query_params.get("open")
        if wanted in ("true", "false"):
            rows = rows.filter(resolved_at__isnull=wanted == "true")
        return rows
