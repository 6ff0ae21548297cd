"""REST API for the sync under /api/v1/salesforce/: runs (list, retrieve, create = start a
sync) and issues (list, retrieve, resolve). The same services and permissions as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .filters import SyncIssueFilter, SyncRunFilter
from .models import Resolution, SyncIssue, SyncRun


class SyncRunOutputSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "status",
            "trigger",
            "full",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "phase",
            "total",
            "processed",
            "progress_percent",
            "fetched",
            "created",
            "updated",
            "unchanged",
            "skipped",
            "errors",
            "conflicts",
            "flagged",
            "contracts_created",
            "http_requests",
            "counts_by_object",
            "timings",
            "error",
        ]


class SyncRunInputSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        default=False, help_text="Ignore the watermarks and read every booking again."
    )


class SyncRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = selectors.runs_for_list()
    serializer_class = SyncRunOutputSerializer
    filterset_class = SyncRunFilter
    ordering_fields = ["created_at", "finished_at"]
    required_permissions = {"create": ["salesforce_sync.run_salesforce_sync"]}

    @extend_schema(request=SyncRunInputSerializer, responses={202: SyncRunOutputSerializer})
    def create(self, request, *args, **kwargs):
        body = SyncRunInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.start_sync(actor=request.user, full=body.validated_data["full"])
        run.refresh_from_db()
        return Response(SyncRunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SyncIssueOutputSerializer(serializers.ModelSerializer):
    allowed_resolutions = serializers.SerializerMethodField()

    class Meta:
        model = SyncIssue
        fields = [
            "id",
            "kind",
            "status",
            "sf_object",
            "sf_id",
            "local_model",
            "local_id",
            "field",
            "field_label",
            "code",
            "message",
            "local_value",
            "salesforce_value",
            "account",
            "opportunity",
            "contract",
            "first_run",
            "last_run",
            "first_seen_at",
            "last_seen_at",
            "occurrences",
            "resolution",
            "resolved_by",
            "resolved_at",
            "resolution_note",
            "allowed_resolutions",
        ]

    def get_allowed_resolutions(self, issue: SyncIssue) -> list[str]:
        return [value for value, _ in issue.allowed_resolutions] if issue.is_open else []


class ResolveInputSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(
        choices=[
            (r.value, r.label)
            for r in [Resolution.TAKE_SALESFORCE, Resolution.KEEP_LOCAL, Resolution.ACKNOWLEDGED]
        ]
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SyncIssueViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = selectors.issues_for_list()
    serializer_class = SyncIssueOutputSerializer
    filterset_class = SyncIssueFilter
    search_fields = ["sf_id", "code", "field"]
    ordering_fields = ["last_seen_at", "first_seen_at"]
    required_permissions = {"resolve": ["salesforce_sync.resolve_syncissue"]}

    @extend_schema(request=ResolveInputSerializer, responses=SyncIssueOutputSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        issue = self.get_object()
        body = ResolveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        issue = services.resolve_sync_issue(
            issue=issue,
            resolution=body.validated_data["resolution"],
            actor=request.user,
            note=body.validated_data["note"],
        )
        return Response(SyncIssueOutputSerializer(issue).data)
