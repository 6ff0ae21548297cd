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
from billing.models import CreditNote, Invoice, Payment
from billing.writeoffs import approvals, services
from billing.writeoffs.models import ApprovalKind, ApprovalRequest, WriteOff, WriteOffReason


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


class ApprovalOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    refund = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    credit_refund = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    credit_note_number = serializers.CharField(
        source="credit_note.number", default=None, allow_null=True
    )

    class Meta:
        model = ApprovalRequest
        fields = [
            "id",
            "kind",
            "status",
            "payment",
            "credit_on_account",
            "invoice",
            "currency",
            "amount",
            "reason",
            "reference",
            "action_date",
            "refund",
            "credit_refund",
            "credit_note",
            "credit_note_number",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_note",
            "created_at",
        ]


class ApprovalRequestInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ApprovalKind.choices)
    payment = serializers.PrimaryKeyRelatedField(
        queryset=Payment.objects.all(), required=False, allow_null=True,
        help_text="The payment to refund (kind refund).",
    )  # fmt: skip
    credit_on_account = serializers.PrimaryKeyRelatedField(
        queryset=CreditNote.objects.all(), required=False, allow_null=True,
        help_text="The credit note whose credit on account to refund (kind credit_refund).",
    )  # fmt: skip
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(), required=False, allow_null=True,
        help_text="The invoice to credit (kind credit_note).",
    )  # fmt: skip
    amount = serializers.DecimalField(max_digits=19, decimal_places=4)
    reason = serializers.CharField(max_length=500)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=140)
    action_date = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="The refund or credit note date (default: the day it is approved).",
    )  # fmt: skip

    def validate(self, attrs):
        source = {
            ApprovalKind.REFUND: "payment",
            ApprovalKind.CREDIT_REFUND: "credit_on_account",
            ApprovalKind.CREDIT_NOTE: "invoice",
        }[attrs["kind"]]
        if not attrs.get(source):
            raise serializers.ValidationError({source: "Required for this kind of request."})
        attrs["source_field"] = source
        return attrs


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Refunds and credit notes above their threshold (REFUND_APPROVAL_THRESHOLDS,
    CREDIT_NOTE_APPROVAL_THRESHOLDS) wait here for a second person; approving carries
    them out through the payment or credit note service."""

    queryset = ApprovalRequest.objects.select_related("credit_note").order_by("-id")
    serializer_class = ApprovalOutputSerializer
    filterset_fields = ["status", "kind"]
    VIEW = "writeoffs.view_approvalrequest"
    required_permissions = {
        "create": [VIEW, "writeoffs.request_approval"],
        "approve": [VIEW, "writeoffs.approve_request"],
        "reject": [VIEW, "writeoffs.approve_request"],
    }

    @extend_schema(
        request=ApprovalRequestInputSerializer, responses={201: ApprovalOutputSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = ApprovalRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        common = {"amount": data["amount"], "reason": data["reason"], "actor": request.user}
        if data["kind"] == ApprovalKind.REFUND:
            made = approvals.request_refund(
                payment=data["payment"], reference=data["reference"],
                refund_date=data["action_date"], **common,
            )  # fmt: skip
        elif data["kind"] == ApprovalKind.CREDIT_REFUND:
            made = approvals.request_credit_refund(
                credit_note=data["credit_on_account"], reference=data["reference"],
                refund_date=data["action_date"], **common,
            )  # fmt: skip
        else:
            made = approvals.request_credit_note(
                invoice=data["invoice"], credit_date=data["action_date"], **common
            )
        return Response(ApprovalOutputSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInputSerializer, responses=ApprovalOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = approvals.approve_request(
            request=self.get_object(), actor=request.user, note=body.validated_data["note"]
        )
        return Response(ApprovalOutputSerializer(done).data)

    @extend_schema(request=DecisionInputSerializer, responses=ApprovalOutputSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        body = DecisionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = approvals.reject_request(
            request=self.get_object(), actor=request.user, reason=body.validated_data["note"]
        )
        return Response(ApprovalOutputSerializer(done).data)
