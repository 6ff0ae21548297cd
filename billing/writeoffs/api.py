"""Write-offs over the REST API (/api/v1/write-offs/): request, approve, reject, and the
small-balance batch. Approving needs writeoffs.approve_write_off, and the service refuses
the requester as approver (400 approver/same_person)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing.api.fields import MoneyField
from billing.models import Invoice
from billing.writeoffs import services
from billing.writeoffs.models import WriteOff, WriteOffReason


class WriteOffOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    document_number = serializers.CharField(source="document.number", default=None)

    class Meta:
        model = WriteOff
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "currency",
            "amount",
            "reason_code",
            "memo",
            "write_off_date",
            "status",
            "document",
            "document_number",
            "batch",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class WriteOffRequestInputSerializer(serializers.Serializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = serializers.DecimalField(max_digits=19, decimal_places=4)
    reason_code = serializers.ChoiceField(choices=WriteOffReason.choices)
    memo = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    write_off_date = serializers.DateField(required=False, allow_null=True, default=None)


class DecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class SmallBalanceInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, allow_null=True, default=None)


class WriteOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = WriteOff.objects.select_related("invoice", "document").order_by("-id")
    serializer_class = WriteOffOutputSerializer
    filterset_fields = ["status", "invoice", "batch"]
    VIEW = "writeoffs.view_writeoff"
    required_permissions = {
        "create": [VIEW, "writeoffs.request_write_off"],
        "approve": [VIEW, "writeoffs.approve_write_off"],
        "reject": [VIEW, "writeoffs.approve_write_off"],
        "small_balances": [VIEW, "writeoffs.request_write_off"],
    }

    @extend_schema(
        request=WriteOffRequestInputSerializer, responses={201: WriteOffOutputSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = WriteOffRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        write_off = services.request_write_off(actor=request.user, **body.validated_data)
        return Response(WriteOffOutputSerializer(write_off).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInputSerializer, responses=WriteOffOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        write_off = services.approve_write_off(
            write_off=self.get_object(), actor=request.user, note=body.validated_data["note"]
        )
        return Response(WriteOffOutputSerializer(write_off).data)

    @extend_schema(request=DecisionInputSerializer, responses=WriteOffOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        write_off = services.reject_write_off(
            write_off=self.get_object(), actor=request.user, reason=body.validated_data["note"]
        )
        return Response(WriteOffOutputSerializer(write_off).data)

    @extend_schema(request=SmallBalanceInputSerializer, responses={201: dict})
    @action(detail=False, methods=["post"], url_path="small-balances")
    def small_balances(self, request):
        body = SmallBalanceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.write_off_small_balances(
            as_of=body.validated_data["as_of"] or timezone.localdate(), actor=request.user
        )
        return Response(services.batch_report(batch), status=status.HTTP_201_CREATED)
