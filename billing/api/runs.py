"""Billing runs (and previews) and usage records."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from billing import services
from billing.models import BillingRun, BillingRunException, UsageRecord
from ordermgmt.models import ContractLine

# --- Billing runs ---------------------------------------------------------------------------------


class BillingRunExceptionSerializer(serializers.ModelSerializer):
    contract_reference = serializers.CharField(source="contract.reference", read_only=True)
    account_name = serializers.CharField(source="account.legal_name", read_only=True)

    class Meta:
        model = BillingRunException
        fields = [
            "id",
            "account",
            "account_name",
            "contract",
            "contract_reference",
            "currency",
            "reason",
            "message",
            "lines_skipped",
            "resolved",
            "resolved_by",
            "resolved_at",
            "resolution_note",
        ]
        read_only_fields = fields


class ExceptionResolveInputSerializer(serializers.Serializer):
    # Blank is the service's to refuse, so the 400 has the usual {field, code, message}.
    resolution_note = serializers.CharField(required=False, allow_blank=True, default="")


class BillingRunExceptionViewSet(viewsets.ReadOnlyModelViewSet):
    """The exceptions work list across runs; resolving records who, when and the note."""

    queryset = BillingRunException.objects.select_related("account", "contract").order_by(
        "-billing_run_id", "id"
    )
    serializer_class = BillingRunExceptionSerializer
    filterset_fields = ["billing_run", "resolved", "reason", "account", "contract"]
    required_permissions = {"resolve": ["billing.change_billingrunexception"]}

    @extend_schema(request=ExceptionResolveInputSerializer, responses=BillingRunExceptionSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        exception = self.get_object()
        body = ExceptionResolveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.resolve_run_exception(
            exception=exception,
            actor=request.user,
            resolution_note=body.validated_data["resolution_note"],
        )
        return Response(BillingRunExceptionSerializer(self.get_queryset().get(pk=pk)).data)


class BillingRunOutputSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)
    exceptions = BillingRunExceptionSerializer(many=True, read_only=True)

    class Meta:
        model = BillingRun
        fields = [
            "id",
            "run_date",
            "dry_run",
            "status",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "groups_total",
            "groups_done",
            "progress_percent",
            "invoices_created",
            "lines_billed",
            "totals",
            "preview",
            "changes_since_last_preview",
            "exceptions",
            "error",
        ]


class BillingRunInputSerializer(serializers.Serializer):
    run_date = serializers.DateField(help_text="Bill every pending schedule line due by then.")
    dry_run = serializers.BooleanField(
        default=False, help_text="Preview: compute the invoices without writing them."
    )
    confirm_catch_up = serializers.BooleanField(
        default=False,
        help_text="Needed for a real run that bills more than one period of a contract at "
        "once (a catch-up); preview first to see the amounts.",
    )


class BillingRunFilter(filters.FilterSet):
    run_date_from = filters.DateFilter(field_name="run_date", lookup_expr="gte")
    run_date_to = filters.DateFilter(field_name="run_date", lookup_expr="lte")

    class Meta:
        model = BillingRun
        fields = ["status", "dry_run", "run_date"]


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = BillingRun.objects.prefetch_related(
        Prefetch(
            "exceptions",
            queryset=BillingRunException.objects.select_related("account", "contract"),
        )
    ).order_by("-created_at", "-id")
    serializer_class = BillingRunOutputSerializer
    filterset_class = BillingRunFilter
    ordering_fields = ["created_at", "run_date"]
    required_permissions = {"create": ["billing.run_billing"], "resume": ["billing.run_billing"]}

    @extend_schema(
        request=BillingRunInputSerializer,
        responses={201: BillingRunOutputSerializer},
        description="Queues a billing run (or a dry-run preview). It runs in a worker; "
        "poll the run for its progress and summary.",
    )
    def create(self, request):
        body = BillingRunInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.default_legal_entity()  # a missing seller is a 400 now, not a failed run
        run = services.queue_billing_run(
            run_date=body.validated_data["run_date"],
            actor=request.user,
            dry_run=body.validated_data["dry_run"],
            confirm_catch_up=body.validated_data["confirm_catch_up"],
        )
        run = self.get_queryset().get(pk=run.pk)
        return Response(BillingRunOutputSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={202: BillingRunOutputSerializer},
        description="Queues a failed run, or a run whose worker stopped (no heartbeat within "
        "the lease), again; it bills only what is still pending. 400 `not_resumable` otherwise.",
    )
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        run = services.resume_billing_run(run=self.get_object(), actor=request.user)
        run = self.get_queryset().get(pk=run.pk)
        return Response(BillingRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


# --- Usage ---------------------------------------------------------------------------------------


class UsageRecordOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageRecord
        fields = ["id", "contract_line", "usage_date", "quantity", "reference", "recorded_at"]


class UsageRecordInputSerializer(serializers.Serializer):
    contract_line = serializers.PrimaryKeyRelatedField(
        queryset=ContractLine.objects.select_related("contract", "product")
    )
    usage_date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=19, decimal_places=4)
    reference = serializers.CharField(
        max_length=100, help_text="Idempotency key: the same usage sent twice is recorded once."
    )


class UsageRecordFilter(filters.FilterSet):
    usage_date_from = filters.DateFilter(field_name="usage_date", lookup_expr="gte")
    usage_date_to = filters.DateFilter(field_name="usage_date", lookup_expr="lte")
    contract = filters.NumberFilter(field_name="contract_line__contract")

    class Meta:
        model = UsageRecord
        fields = ["contract_line", "reference"]


class UsageRecordViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = UsageRecord.objects.order_by("-usage_date", "-id")
    serializer_class = UsageRecordOutputSerializer
    filterset_class = UsageRecordFilter

    @extend_schema(
        request=UsageRecordInputSerializer,
        responses={201: UsageRecordOutputSerializer, 200: UsageRecordOutputSerializer},
        description="Records usage; 201 when new, 200 when this reference was already "
        "recorded with the same values.",
    )
    def create(self, request):
        body = UsageRecordInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        already = UsageRecord.objects.filter(reference=data["reference"]).exists()
        record = services.record_usage(**data)
        return Response(
            UsageRecordOutputSerializer(record).data,
            status=status.HTTP_200_OK if already else status.HTTP_201_CREATED,
        )
