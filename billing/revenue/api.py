"""REST API of revenue recognition under /api/v1/revenue/: obligations (and deliveries),
allocations, schedules (every version), contract balances, the waterfall, per-contract
settings and modification decisions.

Reads need the model's view permission (or `revenue.view_revenue_reports` for the
reports); writes go through billing.revenue.services, as the pages do, and a
DomainValidationError becomes HTTP 400 {field, code, message}.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.fields import MoneyField
from core.api_permissions import NamedPermission
from core.money import round_money
from ordermgmt.models import Contract, ContractLine

from . import services

# The report endpoints live in api_reports; config.urls reads them from here.
from .api_reports import (  # noqa: F401
    BalanceOutputSerializer,
    ContractBalancesView,
    WaterfallView,
)
from .models import (
    AllocationLine,
    Delivery,
    DeliveryKind,
    PerformanceObligation,
    RevenueAllocation,
    RevenueContractSettings,
    RevenueSchedule,
    RevenueScheduleLine,
)

# --- Obligations --------------------------------------------------------------------------


class DeliveryOutputSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="delivery or acceptance")

    class Meta:
        model = Delivery
        fields = ["id", "kind", "delivered_on", "quantity", "reference", "note", "recorded_at"]


class ObligationOutputSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    ssp_amount = MoneyField()
    allocated_amount = MoneyField()
    contract_lines = serializers.SerializerMethodField()
    deliveries = DeliveryOutputSerializer(many=True, read_only=True)

    class Meta:
        model = PerformanceObligation
        fields = [
            "id",
            "contract",
            "contract_reference",
            "accounting_contract",
            "number",
            "name",
            "product",
            "product_sku",
            "pattern",
            "ratable_method",
            "ramp_policy",
            "service_start",
            "service_end",
            "quantity",
            "currency",
            "ssp_amount",
            "residual_ssp",
            "allocated_amount",
            "contract_lines",
            "deliveries",
        ]

    def get_contract_lines(self, obj) -> list[dict]:
        return [
            {
                "contract_line": line.contract_line_id,
                "ssp_amount": str(round_money(line.ssp_amount, obj.currency)),
                "contract_price": str(round_money(line.contract_price, obj.currency)),
                "combined": line.combined,
            }
            for line in obj.lines.all()
        ]


class DeliveryInputSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    reference = serializers.CharField(max_length=100)
    quantity = serializers.DecimalField(
        max_digits=19, decimal_places=4, required=False, allow_null=True, default=None
    )
    kind = serializers.ChoiceField(choices=DeliveryKind.choices, default="delivery")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PerformanceObligationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = PerformanceObligation.objects.select_related("contract", "product").prefetch_related(
        "lines", "deliveries"
    )
    serializer_class = ObligationOutputSerializer
    filterset_fields = ["contract", "accounting_contract", "pattern", "currency", "product"]
    ordering_fields = ["service_start", "id"]
    required_permissions = {"deliveries": ["revenue.record_delivery"]}

    @extend_schema(request=DeliveryInputSerializer, responses={201: DeliveryOutputSerializer})
    @action(detail=True, methods=["post"])
    def deliveries(self, request, pk=None):
        obligation = self.get_object()
        body = DeliveryInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        delivery = services.record_delivery(
            obligation=obligation, actor=request.user, **body.validated_data
        )
        return Response(DeliveryOutputSerializer(delivery).data, status=status.HTTP_201_CREATED)


# --- Allocations ----------------------------------------------------------------------------


class AllocationLineOutputSerializer(serializers.ModelSerializer):
    obligation_name = serializers.CharField(source="obligation.name", read_only=True)
    ssp_amount = MoneyField(currency="allocation.currency")
    contract_price = MoneyField(currency="allocation.currency")
    recognised_before = MoneyField(currency="allocation.currency")
    allocated_amount = MoneyField(currency="allocation.currency")
    total_amount = MoneyField(currency="allocation.currency")

    class Meta:
        model = AllocationLine
        fields = [
            "obligation",
            "obligation_name",
            "ssp_amount",
            "contract_price",
            "recognised_before",
            "allocated_amount",
            "total_amount",
            "basis",
        ]


class AllocationOutputSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    fixed_consideration = MoneyField()
    variable_consideration = MoneyField()
    transaction_price = MoneyField()
    recognised_before = MoneyField()
    allocated_amount = MoneyField()
    lines = AllocationLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = RevenueAllocation
        fields = [
            "id",
            "contract",
            "contract_reference",
            "version",
            "is_current",
            "effective_date",
            "reason",
            "method",
            "currency",
            "fixed_consideration",
            "variable_consideration",
            "transaction_price",
            "recognised_before",
            "allocated_amount",
            "modification",
            "explanation",
            "created_at",
            "lines",
        ]


class RevenueAllocationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = RevenueAllocation.objects.select_related("contract").prefetch_related(
        "lines__obligation", "lines__allocation"
    )
    serializer_class = AllocationOutputSerializer
    filterset_fields = ["contract", "is_current", "reason", "currency"]


# --- Schedules ------------------------------------------------------------------------------


class ScheduleLineOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    cumulative_amount = MoneyField()

    class Meta:
        model = RevenueScheduleLine
        fields = [
            "kind",
            "period_start",
            "period_end",
            "recognition_date",
            "amount",
            "cumulative_amount",
        ]


class ScheduleOutputSerializer(serializers.ModelSerializer):
    contract = serializers.IntegerField(source="obligation.accounting_contract_id", read_only=True)
    total_amount = MoneyField()
    lines = ScheduleLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = RevenueSchedule
        fields = [
            "id",
            "obligation",
            "contract",
            "version",
            "is_current",
            "effective_date",
            "reason",
            "currency",
            "total_amount",
            "basis_mode",
            "basis_origin",
            "created_at",
            "superseded_at",
            "lines",
        ]


class RevenueScheduleViewSet(viewsets.ReadOnlyModelViewSet):
    """Every version of every schedule; `is_current=true` for the ones in force."""

    queryset = RevenueSchedule.objects.select_related("obligation").prefetch_related("lines")
    serializer_class = ScheduleOutputSerializer
    filterset_fields = {
        "obligation": ["exact"],
        "obligation__accounting_contract": ["exact"],
        "is_current": ["exact"],
        "currency": ["exact"],
    }


# --- Settings and modifications -----------------------------------------------------------------


class SettingsSerializer(serializers.ModelSerializer):
    discount_lines = serializers.PrimaryKeyRelatedField(
        many=True, queryset=ContractLine.objects.all(), required=False
    )
    variable_consideration_line = serializers.PrimaryKeyRelatedField(
        queryset=ContractLine.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = RevenueContractSettings
        fields = [
            "contract",
            "ratable_method",
            "ramp_policy",
            "discount_exception",
            "discount_lines",
            "variable_consideration_amount",
            "variable_consideration_method",
            "variable_consideration_line",
            "priced_at_ssp",
            "remaining_goods_distinct",
            "modification_effective_date",
            "notes",
            "updated_at",
        ]
        read_only_fields = ["contract", "updated_at"]


class RevenueSettingsView(APIView):
    """A contract's revenue choices: read, or change before its revenue is built."""

    permission_classes = [NamedPermission]

    @property
    def permission_required(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return "revenue.view_revenuecontractsettings"
        return "revenue.change_revenuecontractsettings"

    def _current(self, contract):
        return RevenueContractSettings.objects.filter(contract=contract).first() or (
            RevenueContractSettings(contract=contract)
        )

    @extend_schema(responses=SettingsSerializer)
    def get(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        return Response(SettingsSerializer(self._current(contract)).data)

    @extend_schema(request=SettingsSerializer, responses=SettingsSerializer)
    def patch(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        body = SettingsSerializer(self._current(contract), data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        settings = services.update_revenue_settings(
            contract=contract, actor=request.user, **body.validated_data
        )
        return Response(SettingsSerializer(settings).data)


class ModificationInputSerializer(serializers.Serializer):
    amendment = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all())
    priced_at_ssp = serializers.BooleanField()
    remaining_goods_distinct = serializers.BooleanField()
    effective_date = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ModificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amendment = serializers.IntegerField(source="amendment_id")
    original = serializers.IntegerField(source="original_id")
    treatment = serializers.CharField()
    priced_at_ssp = serializers.BooleanField()
    added_goods_distinct = serializers.BooleanField()
    remaining_goods_distinct = serializers.BooleanField()
    effective_date = serializers.DateField()
    decided_at = serializers.DateTimeField()


class ModificationView(APIView):
    """Account for an amendment: the treatment follows from the recorded judgements."""

    permission_classes = [NamedPermission]
    permission_required = "revenue.account_for_modification"

    @extend_schema(
        request=ModificationInputSerializer, responses={201: ModificationOutputSerializer}
    )
    def post(self, request):
        body = ModificationInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        modification = services.account_for_modification(actor=request.user, **body.validated_data)
        return Response(
            ModificationOutputSerializer(modification).data, status=status.HTTP_201_CREATED
        )
