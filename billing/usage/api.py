"""REST API of usage deals: batch ingestion and its reports, commitment balances."""

from __future__ import annotations

import json

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.error_codes import BillingError
from billing.usage.models import Commitment, CommitmentInstallment, UsageBatch, UsagePrice
from billing.usage.parsers import body_events
from billing.usage.selectors import commitment_balances, commitments_for
from billing.usage.services.ingestion import ingest_usage_events
from billing.usage.services.installments import MONTHS_BETWEEN, InstallmentPlan
from billing.usage.services.ledger import grant_commitment
from billing.usage.services.rates import PriceTerms, set_usage_price
from core.api_permissions import NamedPermission

MAX_EVENTS_PER_REQUEST = 50_000  # larger loads: the ingest_usage command, or several calls
MAX_BATCH_BYTES = 32 * 1024 * 1024  # 50,000 events of up to ~600 bytes each


class UsageBatchParser(BaseParser):
    """JSON of a batch request, read from the request stream with the batch's own size
    limit. DRF's JSONParser goes through `request.body`, which Django caps at
    DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB, meant for forms): a full batch of 50,000 events
    is about 8 MB and would be refused before the view sees it."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        declared = int((request.META.get("CONTENT_LENGTH") or 0) if request else 0)
        body = (
            b""
            if stream is None or declared > MAX_BATCH_BYTES
            else stream.read(MAX_BATCH_BYTES + 1)
        )
        if declared > MAX_BATCH_BYTES or len(body) > MAX_BATCH_BYTES:
            raise ParseError(
                f"At most {MAX_BATCH_BYTES // (1024 * 1024)} MB a request.",
                code=BillingError.TOO_MANY_EVENTS,
            )
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class UsageBatchInputSerializer(serializers.Serializer):
    # Events are checked one by one by the service (a bad event is reported by line, not
    # a 400 for the whole request), so the list is taken as it comes.
    events = serializers.ListField(child=serializers.JSONField(), allow_empty=False)
    accept_valid = serializers.BooleanField(
        default=False,
        help_text="Write the valid events even when some are rejected (default: none then)",
    )

    def validate_events(self, value):
        if len(value) > MAX_EVENTS_PER_REQUEST:
            raise serializers.ValidationError(
                f"At most {MAX_EVENTS_PER_REQUEST} events a request.",
                code=BillingError.TOO_MANY_EVENTS,
            )
        return value


class UsageBatchOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageBatch
        fields = [
            "id",
            "source",
            "received_at",
            "received",
            "accepted",
            "duplicates",
            "rejected",
            "refused",
            "rejections",
        ]
        read_only_fields = fields


class UsageEventBatchView(APIView):
    """Ingests a batch of usage events: 201 with the report when written, 400 with the
    report (`code: rejected_events`) when rejected events kept the batch from being written."""

    permission_classes = [NamedPermission]
    permission_required = "usage.add_usagebatch"
    parser_classes = [UsageBatchParser]

    @extend_schema(
        request=UsageBatchInputSerializer, responses={201: UsageBatchOutputSerializer, 400: dict}
    )
    def post(self, request):
        data = UsageBatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = ingest_usage_events(
            events=body_events(data.validated_data["events"]),
            source="api",
            actor=request.user,
            accept_valid=data.validated_data["accept_valid"],
        )
        report = UsageBatchOutputSerializer(batch).data
        if batch.refused:
            return Response(
                {
                    "field": "events",
                    "code": "rejected_events",
                    "message": f"{batch.rejected} event(s) rejected; nothing was written.",
                    "batch": report,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(report, status=status.HTTP_201_CREATED)


class UsageBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Past batches and their reports of rejected events."""

    queryset = UsageBatch.objects.order_by("-id")
    serializer_class = UsageBatchOutputSerializer
    filterset_fields = ["source", "refused"]


class CommitmentBalanceQuerySerializer(serializers.Serializer):
    account = serializers.IntegerField(required=False)
    contract = serializers.IntegerField(required=False)
    as_of = serializers.DateField(required=False)


class CommitmentBalanceOutputSerializer(serializers.Serializer):
    commitment = serializers.IntegerField()
    contract = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    currency = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    as_of = serializers.DateField()
    granted = serializers.DecimalField(max_digits=19, decimal_places=4)
    used = serializers.DecimalField(max_digits=19, decimal_places=4)
    expired = serializers.DecimalField(max_digits=19, decimal_places=4)
    rolled_over = serializers.DecimalField(max_digits=19, decimal_places=4)
    remaining = serializers.DecimalField(max_digits=19, decimal_places=4)
    percent_used = serializers.DecimalField(max_digits=7, decimal_places=2)
    burn_per_day = serializers.DecimalField(max_digits=19, decimal_places=4, allow_null=True)
    projected_exhaustion = serializers.DateField(allow_null=True)


class CommitmentBalanceView(APIView):
    """Each commitment and credit of an account or contract as of a date (default today):
    granted, used, expired, remaining, burn per day and projected exhaustion."""

    permission_classes = [NamedPermission]
    permission_required = "usage.view_commitment"

    @extend_schema(
        parameters=[CommitmentBalanceQuerySerializer],
        responses=CommitmentBalanceOutputSerializer(many=True),
    )
    def get(self, request):
        query = CommitmentBalanceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        commitments = commitments_for(
            account_id=data.get("account"), contract_id=data.get("contract")
        )
        rows = commitment_balances(commitments, data.get("as_of") or timezone.localdate())
        return Response(
            CommitmentBalanceOutputSerializer([r.as_dict() for r in rows], many=True).data
        )


class UsagePriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsagePrice
        fields = [
            "id",
            "contract",
            "contract_line",
            "metric",
            "pricing_model",
            "starts_on",
            "ends_on",
            "currency",
            "unit_price",
            "package_size",
            "tiers",
        ]
        read_only_fields = ["id", "contract", "currency"]


class UsagePriceViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Rate card rows; a ramp is a new row from its date (rows are never edited)."""

    queryset = UsagePrice.objects.order_by("contract_id", "metric", "starts_on")
    serializer_class = UsagePriceSerializer
    filterset_fields = ["contract", "contract_line", "metric"]

    def create(self, request):
        data = UsagePriceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        price = set_usage_price(
            contract_line=values["contract_line"],
            terms=PriceTerms(
                metric=values["metric"],
                pricing_model=values["pricing_model"],
                starts_on=values["starts_on"],
                ends_on=values.get("ends_on"),
                unit_price=values.get("unit_price") or 0,
                package_size=values.get("package_size"),
                tiers=values.get("tiers") or [],
            ),
            actor=request.user,
        )
        return Response(UsagePriceSerializer(price).data, status=status.HTTP_201_CREATED)


class InstallmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitmentInstallment
        fields = ["number", "due_on", "amount", "invoice_line"]
        read_only_fields = ["number", "invoice_line"]


class CommitmentSerializer(serializers.ModelSerializer):
    # Paid in installments: `installment_every` and `installment_count`, or `installments`
    # with custom dates and amounts that add up to the commitment.
    installment_every = serializers.ChoiceField(
        choices=sorted(MONTHS_BETWEEN), required=False, write_only=True
    )
    installment_count = serializers.IntegerField(required=False, write_only=True)
    installments = InstallmentSerializer(many=True, required=False)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "contract",
            "kind",
            "payment_plan",
            "name",
            "amount",
            "currency",
            "starts_on",
            "ends_on",
            "priority",
            "overage_percent",
            "rollover",
            "rolled_from",
            "alert_thresholds",
            "installment_every",
            "installment_count",
            "installments",
        ]
        read_only_fields = ["id", "currency", "rolled_from"]
        extra_kwargs = {"priority": {"required": False}}


class CommitmentViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Commitments and credits; created with their grant entry, then changed only by the
    ledger (see /api/v1/usage/balances/)."""

    queryset = Commitment.objects.prefetch_related("installments").order_by(
        "contract_id", "priority", "ends_on", "id"
    )
    serializer_class = CommitmentSerializer
    filterset_fields = ["contract", "kind"]

    def create(self, request):
        data = CommitmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        every, count = values.pop("installment_every", None), values.pop("installment_count", None)
        custom = tuple((x["due_on"], x["amount"]) for x in values.pop("installments", []))
        plan = InstallmentPlan(every, count, custom) if every or count or custom else None
        commitment = grant_commitment(actor=request.user, installments=plan, **values)
        return Response(CommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)
