"""Credit notes, and the credit they leave on account: apply it to invoices, reverse a
misapplication, refund it. Writes go through billing.services.credits."""

from __future__ import annotations

from django.db.models import F, Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import services
from billing.api.fields import MoneyField
from billing.api.invoices import CreditNoteOutputSerializer
from billing.api.payments import (
    AllocationInputSerializer,
    ApplicationReverseInputSerializer,
    RefundInputSerializer,
)
from billing.models import CreditApplication, CreditNote, CreditNoteLine


class CreditApplicationOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency="credit_note.currency")
    credit_note_number = serializers.CharField(source="credit_note.number", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)

    class Meta:
        model = CreditApplication
        fields = [
            "id",
            "credit_note",
            "credit_note_number",
            "invoice",
            "invoice_number",
            "amount",
            "applied_date",
            "reverses",
            "reason",
            "created_by",
            "created_at",
        ]


class CreditApplyInputSerializer(serializers.Serializer):
    allocations = AllocationInputSerializer(many=True, required=False, default=list)
    oldest_first = serializers.BooleanField(
        required=False, default=False, help_text="Apply to the oldest open invoices instead."
    )
    applied_date = serializers.DateField(required=False, allow_null=True, default=None)


class CreditNoteFilter(filters.FilterSet):
    credit_date_from = filters.DateFilter(field_name="credit_date", lookup_expr="gte")
    credit_date_to = filters.DateFilter(field_name="credit_date", lookup_expr="lte")
    account = filters.NumberFilter(field_name="invoice__account")
    has_credit_on_account = filters.BooleanFilter(method="filter_on_account")

    class Meta:
        model = CreditNote
        fields = ["invoice", "currency", "is_void_of_invoice"]

    def filter_on_account(self, queryset, name, value):
        left = F("on_account_amount") - F("applied_amount") - F("refunded_amount")
        queryset = queryset.alias(left=left)
        return queryset.filter(left__gt=0) if value else queryset.filter(left=0)


class CreditNoteViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CreditNote.objects.select_related("invoice").prefetch_related(
        Prefetch("lines", queryset=CreditNoteLine.objects.order_by("id"))
    )
    serializer_class = CreditNoteOutputSerializer
    filterset_class = CreditNoteFilter
    search_fields = ["number", "invoice__number", "reason"]
    ordering_fields = ["credit_date", "total_amount"]
    # Credit on account moves like cash: the same rights as applying and refunding payments.
    required_permissions = {
        "apply": ["billing.apply_payment"],
        "refund": ["billing.refund_payment"],
    }

    @extend_schema(
        request=CreditApplyInputSerializer,
        responses={201: CreditApplicationOutputSerializer(many=True)},
        description="Applies the note's credit on account to invoices of the same customer "
        "and currency: `allocations` all or nothing, or `oldest_first`.",
    )
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        note = self.get_object()
        body = CreditApplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data["oldest_first"]:
            applications = services.apply_credit_oldest_first(
                credit_note=note, actor=request.user, applied_date=data["applied_date"]
            )
        else:
            applications = services.apply_credit_note(
                credit_note=note,
                allocations=[(a["invoice"], a["amount"]) for a in data["allocations"]],
                actor=request.user,
                applied_date=data["applied_date"],
            )
        rows = CreditApplication.objects.select_related("credit_note", "invoice").filter(
            pk__in=[a.pk for a in applications]
        )
        return Response(
            CreditApplicationOutputSerializer(rows, many=True).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=RefundInputSerializer,
        responses=CreditNoteOutputSerializer,
        description="Pays back credit left on account.",
    )
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        note = self.get_object()
        body = RefundInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.refund_credit_note(credit_note=note, actor=request.user, **body.validated_data)
        return Response(CreditNoteOutputSerializer(self.get_queryset().get(pk=note.pk)).data)


class CreditApplicationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = CreditApplication.objects.select_related("credit_note", "invoice").order_by(
        "applied_date", "id"
    )
    serializer_class = CreditApplicationOutputSerializer
    filterset_fields = ["credit_note", "invoice"]
    required_permissions = {"reverse": ["billing.apply_payment"]}

    @extend_schema(
        request=ApplicationReverseInputSerializer,
        responses={201: CreditApplicationOutputSerializer},
        description="Reverses a misapplied credit with a dated counter-entry (never a delete).",
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        application = self.get_object()
        body = ApplicationReverseInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reversal = services.reverse_credit_application(
            application=application, actor=request.user, **body.validated_data
        )
        reversal = self.get_queryset().get(pk=reversal.pk)
        return Response(
            CreditApplicationOutputSerializer(reversal).data, status=status.HTTP_201_CREATED
        )
