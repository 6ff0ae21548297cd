"""Change orders on an active contract over /api/v1/contracts/<id>/change-orders/: list
them, or make one (quantity, price or discount, removal, swap, term). A change order is
one call to ordermgmt.services.make_change_order; its answer carries the credit and debit
lines it made, each with its "why this amount". A refusal is HTTP 400 {field, code,
message} and saves nothing."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.invoices import BillingScheduleLineOutputSerializer
from billing.models import BillingScheduleLine, ScheduleLineKind
from core.amount_input import AmountSerializerField
from core.api_permissions import NamedPermission
from ordermgmt.models import (
    ChangeKind,
    Contract,
    ContractChange,
    ContractLine,
    Product,
    ProrationBehavior,
)
from ordermgmt.services import ChangeOrderInput, make_change_order


class ChangeOrderInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    effective_date = serializers.DateField(
        required=False, allow_null=True, help_text="From this day (not for a term change)."
    )
    line = serializers.IntegerField(
        required=False, allow_null=True, help_text="The contract line changed (its id)."
    )
    quantity = serializers.DecimalField(
        max_digits=19, decimal_places=4, required=False, allow_null=True
    )
    unit_price = AmountSerializerField(
        max_digits=19, decimal_places=6, required=False, allow_null=True
    )
    discount_percent = serializers.DecimalField(
        max_digits=7, decimal_places=4, required=False, allow_null=True
    )
    product = serializers.IntegerField(
        required=False, allow_null=True, help_text="Swap: the product that replaces the line's."
    )
    currency = serializers.CharField(required=False, allow_blank=True, max_length=3)
    new_end_date = serializers.DateField(required=False, allow_null=True)
    proration_behavior = serializers.ChoiceField(
        choices=ProrationBehavior.choices, default=ProrationBehavior.NEXT_INVOICE
    )
    allow_backdated = serializers.BooleanField(
        default=False,
        help_text="Needed (with a reason) for a change reaching into an invoiced past period.",
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ChangeOrderOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    credit_lines = serializers.SerializerMethodField()
    debit_lines = serializers.SerializerMethodField()

    class Meta:
        model = ContractChange
        fields = [
            "id",
            "reference",
            "contract",
            "kind",
            "effective_date",
            "line",
            "new_line",
            "product",
            "quantity",
            "unit_price",
            "discount_percent",
            "previous_end_date",
            "new_end_date",
            "proration_behavior",
            "backdated",
            "reason",
            "created_by",
            "created_at",
            "credit_lines",
            "debit_lines",
        ]
        read_only_fields = fields

    def _lines(self, obj, kind):
        rows = BillingScheduleLine.objects.filter(change_order=obj, kind=kind).select_related(
            "contract", "invoice_line"
        )
        return BillingScheduleLineOutputSerializer(
            rows.order_by("period_start", "id"), many=True
        ).data

    @extend_schema_field(BillingScheduleLineOutputSerializer(many=True))
    def get_credit_lines(self, obj) -> list:
        return self._lines(obj, ScheduleLineKind.PRORATION_CREDIT)

    @extend_schema_field(BillingScheduleLineOutputSerializer(many=True))
    def get_debit_lines(self, obj) -> list:
        return self._lines(obj, ScheduleLineKind.PRORATION_DEBIT)


def _field_error(field: str, message: str):
    return serializers.ValidationError({field: [message]})


class ChangeOrderView(APIView):
    """GET: the contract's change orders, oldest first. POST: make one."""

    permission_classes = [NamedPermission]

    @property
    def permission_required(self):
        if self.request.method == "POST":
            return "ordermgmt.change_order_contract"
        return "ordermgmt.view_contractchange"

    @extend_schema(responses=ChangeOrderOutputSerializer(many=True))
    def get(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        rows = ContractChange.objects.filter(contract=contract).order_by("effective_date", "id")
        return Response(ChangeOrderOutputSerializer(rows, many=True).data)

    @extend_schema(request=ChangeOrderInputSerializer, responses={201: ChangeOrderOutputSerializer})
    def post(self, request, contract_id: int):
        contract = get_object_or_404(Contract, pk=contract_id)
        body = ChangeOrderInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if data.get("line") is not None:
            line = ContractLine.objects.filter(pk=data["line"]).first()
            if line is None:
                raise _field_error("line", f"There is no contract line {data['line']}.")
            data["line"] = line
        if data.get("product") is not None:
            product = Product.objects.filter(pk=data["product"]).first()
            if product is None:
                raise _field_error("product", f"There is no product {data['product']}.")
            data["product"] = product
        change = make_change_order(
            contract=contract, change=ChangeOrderInput(**data), actor=request.user
        )
        return Response(ChangeOrderOutputSerializer(change).data, status=status.HTTP_201_CREATED)
