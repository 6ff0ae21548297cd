"""Bank statements and the matching queue over the REST API (/api/v1/bank/...).

Every write is one call to billing.bank.services, as the queue page makes it; a
DomainValidationError becomes HTTP 400 {field, code, message}."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from billing.api.fields import MoneyField
from billing.api.payments import AllocationInputSerializer
from billing.bank import selectors, services
from billing.bank.filters import BankTransactionFilter
from billing.bank.models import (
    BankStatement,
    BankTransaction,
    MatchSuggestion,
    SuggestedAllocation,
)
from billing.bank.parsers import FILE_FORMATS
from billing.error_codes import BillingError
from core.errors import DomainValidationError
from ordermgmt.models import Account

MAX_FILE_BYTES = 20 * 1024 * 1024


class SuggestedAllocationOutputSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    amount = MoneyField(currency="invoice.currency")

    class Meta:
        model = SuggestedAllocation
        fields = ["invoice", "invoice_number", "amount"]


class MatchSuggestionOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.legal_name", read_only=True)
    allocations = SuggestedAllocationOutputSerializer(many=True, read_only=True)

    class Meta:
        model = MatchSuggestion
        fields = ["id", "account", "account_name", "rule", "confidence", "reason", "allocations"]


class BankTransactionOutputSerializer(serializers.ModelSerializer):
    amount = MoneyField()
    suggestions = MatchSuggestionOutputSerializer(many=True, read_only=True)

    class Meta:
        model = BankTransaction
        fields = [
            "id",
            "statement",
            "bank_account",
            "bank_reference",
            "direction",
            "amount",
            "currency",
            "booking_date",
            "value_date",
            "payer_name",
            "payer_account",
            "remittance_text",
            "status",
            "account",
            "payment",
            "auto_applied",
            "note",
            "matched_by",
            "matched_at",
            "suggestions",
        ]


class BankStatementOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = BankStatement
        fields = [
            "id",
            "bank_account",
            "statement_id",
            "message_id",
            "file_format",
            "currency",
            "opening_balance",
            "closing_balance",
            "from_date",
            "to_date",
            "file_name",
            "imported_by",
            "imported_at",
        ]


class StatementImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A CAMT.053, BAI2 or MT940 file (at most 20 MB).")
    file_format = serializers.ChoiceField(
        choices=FILE_FORMATS,
        required=False,
        help_text="Default: what the file's first characters announce.",
    )


class ImportResultOutputSerializer(serializers.Serializer):
    statements = BankStatementOutputSerializer(many=True)
    created = serializers.IntegerField()
    already_imported = serializers.IntegerField()
    auto_applied = serializers.IntegerField()


class ConfirmInputSerializer(serializers.Serializer):
    suggestion = serializers.IntegerField()


class SplitInputSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())
    allocations = AllocationInputSerializer(many=True)


class UnappliedInputSerializer(serializers.Serializer):
    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all())


class IgnoreInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BankStatementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = BankStatement.objects.order_by("-imported_at", "-id")
    serializer_class = BankStatementOutputSerializer
    required_permissions = {"upload": ["bank.view_bankstatement", "bank.import_statement"]}

    @extend_schema(
        request={"multipart/form-data": StatementImportInputSerializer},
        responses={201: ImportResultOutputSerializer},
        description="Imports a CAMT.053, BAI2 or MT940 file; its control totals must agree. "
        "Importing the same file again creates nothing (`already_imported` counts what was "
        "skipped).",
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request):
        body = StatementImportInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise DomainValidationError(
                field="file", code=BillingError.TOO_LARGE, message="The file is over 20 MB."
            )
        result = services.import_bank_statement(
            content=upload.read(),
            actor=request.user,
            file_name=upload.name,
            file_format=body.validated_data.get("file_format"),
        )
        return Response(ImportResultOutputSerializer(result).data, status=status.HTTP_201_CREATED)


MATCH = ["bank.view_banktransaction", "bank.match_bank_transaction"]


class BankTransactionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.transactions_for_queue()
    serializer_class = BankTransactionOutputSerializer
    filterset_class = BankTransactionFilter
    ordering_fields = ["booking_date", "amount", "id"]
    required_permissions = {"confirm": MATCH, "split": MATCH, "unapplied": MATCH, "ignore": MATCH}

    def _out(self, txn: BankTransaction) -> Response:
        return Response(BankTransactionOutputSerializer(self.get_queryset().get(pk=txn.pk)).data)

    @extend_schema(
        request=ConfirmInputSerializer,
        responses=BankTransactionOutputSerializer,
        description="Applies the credit as the proposal says (one of its `suggestions`).",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        txn = self.get_object()
        body = ConfirmInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        suggestion = txn.suggestions.filter(pk=body.validated_data["suggestion"]).first()
        if suggestion is None:
            raise DomainValidationError(
                field="suggestion",
                code=BillingError.NOT_FOUND,
                message="No such proposal for this credit.",
            )
        return self._out(
            services.apply_bank_credit(transaction=txn, suggestion=suggestion, actor=request.user)
        )

    @extend_schema(
        request=SplitInputSerializer,
        responses=BankTransactionOutputSerializer,
        description="Applies the credit across the given invoices of `account` (all or none); "
        "the rest stays unapplied on the payment.",
    )
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        txn = self.get_object()
        body = SplitInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return self._out(
            services.split_bank_credit(
                transaction=txn,
                account=data["account"],
                allocations=[(a["invoice"], a["amount"]) for a in data["allocations"]],
                actor=request.user,
            )
        )

    @extend_schema(
        request=UnappliedInputSerializer,
        responses=BankTransactionOutputSerializer,
        description="Records the credit as unapplied cash of `account`.",
    )
    @action(detail=True, methods=["post"])
    def unapplied(self, request, pk=None):
        txn = self.get_object()
        body = UnappliedInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.record_unapplied_bank_credit(
                transaction=txn, account=body.validated_data["account"], actor=request.user
            )
        )

    @extend_schema(
        request=IgnoreInputSerializer,
        responses=BankTransactionOutputSerializer,
        description="Sets a credit aside as not customer cash (a reason is required).",
    )
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        txn = self.get_object()
        body = IgnoreInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._out(
            services.ignore_bank_transaction(
                transaction=txn, actor=request.user, reason=body.validated_data["reason"]
            )
        )
