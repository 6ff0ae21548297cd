"""Schedule lines and invoices (and their actions); the credit note output shared with
credits.py."""

from __future__ import annotations

from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import selectors, services
from billing.api.fields import MoneyField, ScheduleKindField
from billing.filters import InvoiceFilter
from billing.models import BillingScheduleLine, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from core.amount_input import AmountSerializerField

# --- Schedule lines -------------------------------------------------------------------------


class BillingScheduleLineOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(allow_null=True)
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    invoice = serializers.SerializerMethodField()
    kind = ScheduleKindField(read_only=True)

    class Meta:
        model = BillingScheduleLine
        fields = [
            "id",
            "contract",
            "contract_reference",
            "contract_line",
            "ramp_step",
            "kind",
            "sequence",
            "period_start",
            "period_end",
            "billing_date",
            "currency",
            "quantity",
            "unit_price",
            "amount",
            "day_count_convention",
            "status",
            "invoice",
            "explanation",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_invoice(self, obj) -> int | None:
        return obj.invoice_line.invoice_id if obj.invoice_line_id else None


class ScheduleLineFilter(filters.FilterSet):
    billing_date_from = filters.DateFilter(field_name="billing_date", lookup_expr="gte")
    billing_date_to = filters.DateFilter(field_name="billing_date", lookup_expr="lte")
    account = filters.NumberFilter(field_name="contract__account")

    class Meta:
        model = BillingScheduleLine
        fields = ["contract", "contract_line", "status", "kind", "currency"]


class BillingScheduleLineViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = BillingScheduleLine.objects.select_related("contract", "invoice_line").order_by(
        "billing_date", "contract_id", "contract_line_id", "sequence"
    )
    serializer_class = BillingScheduleLineOutputSerializer
    filterset_class = ScheduleLineFilter
    ordering_fields = ["billing_date", "amount"]


# --- Invoices ---------------------------------------------------------------------------------


class InvoiceLineOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency="invoice.currency")
    tax_amount = MoneyField(currency="invoice.currency")

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "position",
            "description",
            "schedule_line",
            "contract_line",
            "period_start",
            "period_end",
            "quantity",
            "unit_price",
            "discount_percent",
            "amount",
            "tax_percent",
            "tax_amount",
            "explanation",
        ]


class CreditNoteSummarySerializer(serializers.ModelSerializer):
    total_amount = MoneyField()

    class Meta:
        model = CreditNote
        fields = ["id", "number", "credit_date", "total_amount", "reason", "is_void_of_invoice"]


class InvoiceOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.legal_name", read_only=True)
    contract_reference = serializers.SerializerMethodField()
    subtotal_amount = MoneyField()
    tax_amount = MoneyField()
    total_amount = MoneyField()
    credited_amount = MoneyField()
    paid_amount = MoneyField()
    open_amount = MoneyField()
    is_overdue = serializers.SerializerMethodField()
    corrections = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    lines = InvoiceLineOutputSerializer(many=True, read_only=True)
    credit_notes = CreditNoteSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "settlement_status",
            "legal_entity",
            "account",
            "account_name",
            "contract",
            "contract_reference",
            "billing_run",
            "replaces",
            "corrections",
            "currency",
            "invoice_date",
            "due_date",
            "payment_terms",
            "po_number",
            "buyer_name",
            "buyer_address",
            "buyer_tax_id",
            "tax_exempt",
            "subtotal_amount",
            "tax_amount",
            "total_amount",
            "credited_amount",
            "paid_amount",
            "open_amount",
            "is_overdue",
            "issued_at",
            "voided_at",
            "pdf_url",
            "lines",
            "credit_notes",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_contract_reference(self, obj) -> str | None:
        return obj.contract.reference if obj.contract_id else None

    def get_is_overdue(self, obj) -> bool:
        return selectors.is_overdue(obj)

    def get_corrections(self, obj) -> list[int]:
        return [c.pk for c in obj.corrections.all()]

    def get_pdf_url(self, obj) -> str:
        return reverse("billing:invoice_pdf", args=[obj.pk])


class InvoiceSummaryOutputSerializer(InvoiceOutputSerializer):
    """An invoice without its lines: the list's `?lines=false`."""

    class Meta(InvoiceOutputSerializer.Meta):
        fields = [f for f in InvoiceOutputSerializer.Meta.fields if f != "lines"]


LINES_PARAMETER = OpenApiParameter(
    "lines",
    bool,
    description="`false` leaves each invoice's lines out of the list (a page of 50 "
    "invoices is then a few kB, whatever their lines); the detail always has them.",
)


class InvoiceIssueInputSerializer(serializers.Serializer):
    invoice_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Re-date the invoice at issue."
    )


class InvoiceVoidInputSerializer(serializers.Serializer):
    # Blank is the service's to refuse, so the 400 has the usual {field, code, message}.
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class InvoiceCreditLineInputSerializer(serializers.Serializer):
    invoice_line = serializers.PrimaryKeyRelatedField(queryset=InvoiceLine.objects.all())
    amount = AmountSerializerField(
        max_digits=19,
        decimal_places=4,
        help_text="Tax-exclusive invoice: net of tax, tax added at the line's rate. "
        "Tax-inclusive invoice: the gross the customer gets back, split into net and tax "
        "by the invoice's rounding rule (net + tax = this amount).",
    )


class InvoiceCreditNoteInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    amount = AmountSerializerField(
        max_digits=19,
        decimal_places=4,
        required=False,
        allow_null=True,
        default=None,
        help_text="Gross amount to credit, spread over the lines. Give this or `lines`.",
    )
    lines = InvoiceCreditLineInputSerializer(
        many=True, required=False, allow_null=True, default=None
    )
    credit_date = serializers.DateField(required=False, allow_null=True, default=None)

    def to_service_args(self) -> dict:
        data = self.validated_data
        lines = data["lines"]
        return {
            "reason": data["reason"],
            "amount": data["amount"],
            "lines": None
            if lines is None
            else [services.CreditLineInput(line["invoice_line"], line["amount"]) for line in lines],
            "credit_date": data["credit_date"],
        }


class CreditNoteLineOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField(currency="credit_note.currency")
    tax_amount = MoneyField(currency="credit_note.currency")

    class Meta:
        model = CreditNoteLine
        fields = ["id", "invoice_line", "description", "amount", "tax_amount"]


class CreditNoteOutputSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    account = serializers.IntegerField(source="invoice.account_id", read_only=True)
    subtotal_amount = MoneyField()
    tax_amount = MoneyField()
    total_amount = MoneyField()
    on_account_amount = MoneyField(help_text="Credit left on account at issue (invoice paid)")
    applied_amount = MoneyField(help_text="Of the credit on account, applied to invoices")
    refunded_amount = MoneyField(help_text="Of the credit on account, refunded")
    unapplied_amount = MoneyField(help_text="Credit still on account")
    lines = CreditNoteLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "invoice_number",
            "account",
            "legal_entity",
            "currency",
            "credit_date",
            "reason",
            "subtotal_amount",
            "tax_amount",
            "total_amount",
            "is_void_of_invoice",
            "on_account_amount",
            "applied_amount",
            "refunded_amount",
            "unapplied_amount",
            "created_by",
            "created_at",
            "lines",
        ]


class InvoiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = selectors.invoices_for_api()
    serializer_class = InvoiceOutputSerializer
    filterset_class = InvoiceFilter
    search_fields = ["number", "account__legal_name", "buyer_name", "po_number"]
    ordering_fields = ["invoice_date", "due_date", "total_amount", "id"]
    # No default `ordering` here: it would undo the FilterSet's `sort`; the queryset is
    # newest first already.
    # Correcting a voided invoice makes the draft that will be re-issued: issuing's right.
    required_permissions = {
        "issue": ["billing.issue_invoice"],
        "void": ["billing.void_invoice"],
        "credit_notes": ["billing.issue_credit_note"],
        "correct": ["billing.issue_invoice"],
    }

    def _lines_left_out(self) -> bool:
        wanted = self.request.query_params.get("lines", "") if self.request else ""
        return self.action == "list" and wanted.lower() in ("false", "0")

    def get_queryset(self):
        if self._lines_left_out():
            return selectors.invoices_for_api(lines=False)
        return super().get_queryset()

    def get_serializer_class(self):
        if self._lines_left_out():
            return InvoiceSummaryOutputSerializer
        return super().get_serializer_class()

    @extend_schema(parameters=[LINES_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _out(self, invoice: Invoice, status_code=status.HTTP_200_OK) -> Response:
        invoice = self.get_queryset().get(pk=invoice.pk)
        return Response(InvoiceOutputSerializer(invoice).data, status=status_code)

    @extend_schema(request=InvoiceIssueInputSerializer, responses=InvoiceOutputSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        invoice = self.get_object()
        body = InvoiceIssueInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invoice = services.issue_invoice(
            invoice=invoice, actor=request.user, invoice_date=body.validated_data["invoice_date"]
        )
        return self._out(invoice)

    @extend_schema(
        request=InvoiceVoidInputSerializer,
        responses=InvoiceOutputSerializer,
        description="Voids an issued invoice with a credit note for everything not yet credited.",
    )
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        invoice = self.get_object()
        body = InvoiceVoidInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.void_invoice(
            invoice=invoice, actor=request.user, reason=body.validated_data["reason"]
        )
        return self._out(invoice)

    @extend_schema(
        request=InvoiceCreditNoteInputSerializer,
        responses={201: CreditNoteOutputSerializer},
        description="Credits a gross `amount` (spread over the lines) or specific `lines`.",
    )
    @action(detail=True, methods=["post"], url_path="credit-notes")
    def credit_notes(self, request, pk=None):
        invoice = self.get_object()
        body = InvoiceCreditNoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.issue_credit_note(
            invoice=invoice, actor=request.user, **body.to_service_args()
        )
        note = (
            CreditNote.objects.select_related("invoice").prefetch_related("lines").get(pk=note.pk)
        )
        return Response(CreditNoteOutputSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={201: InvoiceOutputSerializer},
        description="A new draft in place of a voided invoice; it takes over its schedule lines.",
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        original = self.get_object()
        correction = services.create_corrected_invoice(original=original, actor=request.user)
        return self._out(correction, status.HTTP_201_CREATED)
