"""Payments (recording, applying, refunding) and payment applications (and reversing).

Every write is one call to billing.services, as the cash pages make it; a
DomainValidationError becomes HTTP 400 {field, code, message} (core.api_errors).
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import services
from billing.api.fields import MoneyField
from billing.error_codes import BillingError
from billing.filters import PaymentFilter
from billing.models import Invoice, Payment, PaymentApplication, PaymentMethod, Refund
from billing.selectors import cash as selectors_cash
from core.amount_input import AmountSerializerField
from core.errors import DomainValidationError
from ordermgmt.models import Account

# --- Fields ------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": list(PaymentMethod.values)})
class PaymentMethodField(serializers.CharField):
    """The methods as an enum for the recording input only: the schema names an enum after
    its field unless two components share it, and revenue allocations have a "method" too.
    An unknown method is the service's to refuse (code "unknown_method")."""


# --- Output -------------------------------------------------------------------------------------


class PaymentApplicationOutputSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    amount = MoneyField(currency="payment.currency")
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = PaymentApplication
        fields = [
            "id",
            "payment",
            "invoice",
            "invoice_number",
            "amount",
            "applied_date",
            "reverses",
            "reversed_by",
            "reason",
            "created_by",
            "created_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_reversed_by(self, obj) -> int | None:
        try:
            return obj.reversed_by.pk
        except PaymentApplication.DoesNotExist:
            return None


class RefundOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency="payment.currency")

    class Meta:
        model = Refund
        fields = ["id", "amount", "refund_date", "reference", "reason", "created_by", "created_at"]


class PaymentOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.legal_name", read_only=True)
    method = serializers.CharField(
        read_only=True, help_text=f"One of {', '.join(PaymentMethod.values)}."
    )
    amount = MoneyField()
    applied_amount = MoneyField()
    refunded_amount = MoneyField()
    unapplied_amount = MoneyField()
    applications = PaymentApplicationOutputSerializer(many=True, read_only=True)
    refunds = RefundOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "account",
            "account_name",
            "currency",
            "amount",
            "applied_amount",
            "refunded_amount",
            "unapplied_amount",
            "received_date",
            "method",
            "reference",
            "external_id",
            "created_by",
            "created_at",
            "applications",
            "refunds",
        ]


# --- Input --------------------------------------------------------------------------------------
# Blank or out-of-range values are the services' to refuse; the serializers check types and
# the column lengths (so the schema shows them). Either way the 400 is {field, code, message}.


class PaymentRecordInputSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    amount = AmountSerializerField(max_digits=19, decimal_places=4)
    currency = serializers.CharField(help_text="ISO 4217 code.")
    received_date = serializers.DateField()
    method = PaymentMethodField()
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=100,
        help_text="Bank reference, check number.",
    )
    external_id = serializers.CharField(
        required=False,
        max_length=100,
        allow_null=True,
        default=None,
        help_text="Processor id; recording the same one twice records one payment.",
    )


class AllocationInputSerializer(serializers.Serializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())
    amount = AmountSerializerField(max_digits=19, decimal_places=4)


class PaymentApplyInputSerializer(serializers.Serializer):
    allocations = AllocationInputSerializer(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="Applied together or not at all. Give this or `oldest_first`.",
    )
    oldest_first = serializers.BooleanField(
        default=False,
        help_text="Apply the unapplied cash to the payer's oldest open invoices in its currency.",
    )
    applied_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today if not given."
    )


class RefundInputSerializer(serializers.Serializer):
    amount = AmountSerializerField(max_digits=19, decimal_places=4)
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    refund_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today if not given."
    )


class ApplicationReverseInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    reversal_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today if not given."
    )


# --- Payments ----------------------------------------------------------------------------------


class PaymentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = selectors_cash.payments_for_api()
    serializer_class = PaymentOutputSerializer
    filterset_class = PaymentFilter
    search_fields = ["reference", "account__legal_name"]
    ordering_fields = ["received_date", "amount", "id"]
    # No default `ordering` here: it would undo the FilterSet's `sort`; the queryset is
    # newest first already.
    # Recording takes billing.add_payment (the model permission for POST).
    required_permissions = {
        "apply": ["billing.view_payment", "billing.apply_payment"],
        "refund": ["billing.view_payment", "billing.refund_payment"],
    }

    def _out(self, payment: Payment, status_code=status.HTTP_200_OK) -> Response:
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(PaymentOutputSerializer(payment).data, status=status_code)

    @extend_schema(
        request=PaymentRecordInputSerializer,
        responses={201: PaymentOutputSerializer},
        description="Records cash received; it stays unapplied until applied to invoices.",
    )
    def create(self, request, *args, **kwargs):
        body = PaymentRecordInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        payment = services.record_payment(actor=request.user, **body.validated_data)
        return self._out(payment, status.HTTP_201_CREATED)

    @extend_schema(
        request=PaymentApplyInputSerializer,
        responses=PaymentOutputSerializer,
        description="Applies the payment to `allocations` (all or none; an error names "
        "`allocations[i].amount` or `allocations[i].invoice`) or, with `oldest_first`, to "
        "the payer's oldest open invoices. Returns the payment with its applications.",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        payment = self.get_object()
        body = PaymentApplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        allocations, oldest_first = data["allocations"], data["oldest_first"]
        if oldest_first == (allocations is not None):
            raise DomainValidationError(
                field="allocations",
                code=BillingError.ALLOCATIONS_OR_OLDEST_FIRST,
                message="Give either allocations or oldest_first: true.",
            )
        if oldest_first:
            services.apply_oldest_first(
                payment=payment, actor=request.user, applied_date=data["applied_date"]
            )
        else:
            if not allocations:
                raise DomainValidationError(
                    field="allocations",
                    code=BillingError.REQUIRED,
                    message="Allocate to one invoice or more.",
                )
            services.apply_payment_to_invoices(
                payment=payment,
                allocations=[(a["invoice"], a["amount"]) for a in allocations],
                actor=request.user,
                applied_date=data["applied_date"],
            )
        return self._out(payment)

    @extend_schema(
        request=RefundInputSerializer,
        responses=PaymentOutputSerializer,
        description="Gives back unapplied cash; applied cash must be reversed first.",
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        payment = self.get_object()
        body = RefundInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.refund_payment(payment=payment, actor=request.user, **body.validated_data)
        return self._out(payment)


# --- Payment applications ---------------------------------------------------------------------


class PaymentApplicationFilter(filters.FilterSet):
    applied_date_from = filters.DateFilter(field_name="applied_date", lookup_expr="gte")
    applied_date_to = filters.DateFilter(field_name="applied_date", lookup_expr="lte")

    class Meta:
        model = PaymentApplication
        fields = ["payment", "invoice"]


class PaymentApplicationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors_cash.applications_for_api()
    serializer_class = PaymentApplicationOutputSerializer
    filterset_class = PaymentApplicationFilter
    ordering_fields = ["applied_date", "id"]
    required_permissions = {
        "reverse": ["billing.view_paymentapplication", "billing.apply_payment"],
    }

    @extend_schema(
        request=ApplicationReverseInputSerializer,
        responses={201: PaymentApplicationOutputSerializer},
        description="Reverses a misapplication with a dated counter-entry (the negative "
        "application returned); the invoice's open balance and the unapplied cash come back.",
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        application = self.get_object()
        body = ApplicationReverseInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = services.reverse_application(
            application=application, actor=request.user, **body.validated_data
        )
        reversal = self.get_queryset().get(pk=reversal.pk)
        return Response(
            PaymentApplicationOutputSerializer(reversal).data, status=status.HTTP_201_CREATED
        )
