"""REST API for collections under /api/v1/collections/: activities (notes, promises to
pay, disputes; resolve a dispute, cancel a promise, record a call), dunning reminders and
the worklist. The same role checks and services as the pages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.models import Invoice
from collections_app import selectors, services
from collections_app.api_reports.common import page_links, page_params
from collections_app.error_codes import CollectionsError
from collections_app.models import (
    ActivityKind,
    CollectionActivity,
    DisputeReason,
    DisputeResolution,
    DunningAction,
    DunningReminder,
)
from core.amount_input import AmountSerializerField
from core.api_permissions import NamedPermission
from core.errors import DomainValidationError
from ordermgmt.models import Account

CHANGE = ["collections_app.change_collectionactivity"]

# --- Activities ------------------------------------------------------------------------------


class CollectionActivityOutputSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True, default=None)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    closed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    promise_outcome = serializers.SerializerMethodField(
        help_text="Promises only: pending, kept, broken or cancelled, as of today."
    )

    class Meta:
        model = CollectionActivity
        fields = [
            "id",
            "account",
            "invoice",
            "invoice_number",
            "kind",
            "status",
            "body",
            "amount",
            "currency",
            "promised_date",
            "promise_outcome",
            "dispute_reason",
            "owner",
            "resolution",
            "resolution_note",
            "closed_at",
            "closed_by",
            "reminder",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_promise_outcome(self, activity: CollectionActivity) -> str | None:
        if activity.kind != ActivityKind.PROMISE:
            return None
        statuses = self.context.get("promise_statuses")
        if statuses is None or activity.pk not in statuses:
            statuses = selectors.promise_statuses([activity], as_of=timezone.localdate())
        return statuses[activity.pk].outcome.value


class CollectionActivityInputSerializer(serializers.Serializer):
    """Shapes only; what each kind needs is checked by the services."""

    kind = serializers.ChoiceField(
        choices=[ActivityKind.NOTE, ActivityKind.PROMISE, ActivityKind.DISPUTE]
    )
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), required=False, help_text="Notes: the account."
    )
    invoice = serializers.PrimaryKeyRelatedField(
        queryset=Invoice.objects.all(),
        required=False,
        allow_null=True,
        help_text="Promises and disputes: the invoice (notes: optional).",
    )
    body = serializers.CharField(required=False, allow_blank=True, default="")
    promised_date = serializers.DateField(required=False)
    amount = AmountSerializerField(max_digits=19, decimal_places=4, required=False)
    reason = serializers.ChoiceField(choices=DisputeReason.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )


class DisputeResolveInputSerializer(serializers.Serializer):
    resolution = serializers.ChoiceField(choices=DisputeResolution.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PromiseCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class CallOutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.CharField()


def _required(data: dict, *names: str) -> None:
    for name in names:
        if data.get(name) in (None, ""):
            raise DomainValidationError(
                field=name,
                code=CollectionsError.REQUIRED,
                message=f"{name} is required for this kind.",
            )


class CollectionActivityFilter(filters.FilterSet):
    created_from = filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    promised_from = filters.DateFilter(field_name="promised_date", lookup_expr="gte")
    promised_to = filters.DateFilter(field_name="promised_date", lookup_expr="lte")

    class Meta:
        model = CollectionActivity
        fields = ["account", "invoice", "kind", "status", "currency", "owner"]


class CollectionActivityViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    queryset = selectors.activities_for_api()
    serializer_class = CollectionActivityOutputSerializer
    filterset_class = CollectionActivityFilter
    ordering_fields = ["created_at", "promised_date", "amount"]
    search_fields = ["body", "invoice__number", "account__legal_name"]
    required_permissions = {"resolve": CHANGE, "cancel": CHANGE, "complete": CHANGE}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        statuses = selectors.promise_statuses(page, as_of=timezone.localdate())
        serializer = CollectionActivityOutputSerializer(
            page, many=True, context={**self.get_serializer_context(), "promise_statuses": statuses}
        )
        return self.get_paginated_response(serializer.data)

    def _out(self, activity: CollectionActivity, code=status.HTTP_200_OK) -> Response:
        activity = self.get_queryset().get(pk=activity.pk)
        return Response(CollectionActivityOutputSerializer(activity).data, status=code)

    @extend_schema(
        request=CollectionActivityInputSerializer,
        responses={201: CollectionActivityOutputSerializer},
    )
    def create(self, request):
        body = CollectionActivityInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        kind = data["kind"]
        if kind == ActivityKind.NOTE:
            account = data.get("account") or getattr(data.get("invoice"), "account", None)
            if account is None:
                _required(data, "account")
            activity = services.add_collection_note(
                account=account, invoice=data.get("invoice"), body=data["body"], actor=request.user
            )
        elif kind == ActivityKind.PROMISE:
            _required(data, "invoice", "promised_date", "amount")
            activity = services.record_promise_to_pay(
                invoice=data["invoice"],
                account=data.get("account"),
                promised_date=data["promised_date"],
                amount=data["amount"],
                note=data["body"],
                actor=request.user,
            )
        else:
            _required(data, "invoice", "reason", "amount")
            activity = services.open_dispute(
                invoice=data["invoice"],
                account=data.get("account"),
                reason=data["reason"],
                amount=data["amount"],
                owner=data.get("owner"),
                note=data["body"],
                actor=request.user,
            )
        return self._out(activity, status.HTTP_201_CREATED)

    @extend_schema(
        request=DisputeResolveInputSerializer, responses=CollectionActivityOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve an open dispute: dunning on its invoice resumes if a balance is left."""
        body = DisputeResolveInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        activity = services.resolve_dispute(
            dispute=self.get_object(), actor=request.user, **body.validated_data
        )
        return self._out(activity)

    @extend_schema(
        request=PromiseCancelInputSerializer, responses=CollectionActivityOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a promise to pay (withdrawn, or recorded by mistake)."""
        body = PromiseCancelInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        activity = services.cancel_promise_to_pay(
            promise=self.get_object(), reason=body.validated_data["reason"], actor=request.user
        )
        return self._out(activity)

    @extend_schema(request=CallOutcomeInputSerializer, responses=CollectionActivityOutputSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Record that a call flagged by dunning was made, and what was agreed."""
        body = CallOutcomeInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        activity = services.complete_call(
            call=self.get_object(), outcome=body.validated_data["outcome"], actor=request.user
        )
        return self._out(activity)


# --- Reminders ------------------------------------------------------------------------------


class DunningReminderOutputSerializer(serializers.ModelSerializer):
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    step_label = serializers.CharField(source="step.label", read_only=True)

    class Meta:
        model = DunningReminder
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "account",
            "step",
            "step_label",
            "action",
            "offset_days",
            "step_date",
            "run_date",
            "sent_at",
            "recipients",
            "subject",
            "message_id",
        ]


class DunningReminderFilter(filters.FilterSet):
    sent_from = filters.DateFilter(field_name="run_date", lookup_expr="gte")
    sent_to = filters.DateFilter(field_name="run_date", lookup_expr="lte")
    action = filters.ChoiceFilter(choices=DunningAction.choices)

    class Meta:
        model = DunningReminder
        fields = ["account", "invoice", "action"]


class DunningReminderViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.reminders_for_api()
    serializer_class = DunningReminderOutputSerializer
    filterset_class = DunningReminderFilter
    ordering_fields = ["sent_at", "run_date"]


# --- Worklist -------------------------------------------------------------------------------


class WorklistAmountSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=19, decimal_places=4)


class WorklistRowSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account.pk")
    account_name = serializers.CharField(source="account.legal_name")
    overdue = WorklistAmountSerializer(many=True)
    overdue_invoices = serializers.IntegerField()
    oldest_days_past_due = serializers.IntegerField()
    ranking_amount = serializers.DecimalField(
        max_digits=19, decimal_places=4, help_text="Overdue in the reporting currency"
    )
    unranked_currencies = serializers.ListField(child=serializers.CharField())
    next_action = serializers.SerializerMethodField()
    last_contact = serializers.SerializerMethodField()
    promises = serializers.SerializerMethodField()
    disputes = serializers.SerializerMethodField()
    open_calls = serializers.SerializerMethodField()
    broken_promises = serializers.IntegerField()
    dunning_paused = serializers.BooleanField()
    dunning_excluded = serializers.BooleanField()

    def get_next_action(self, row) -> dict | None:
        action_ = row.next_action
        if action_ is None:
            return None
        return {
            "state": action_.state.value,
            "label": action_.label,
            "date": action_.when.isoformat() if action_.when else None,
            "invoice": action_.invoice.pk if action_.invoice else None,
        }

    def get_last_contact(self, row) -> dict | None:
        if row.last_contact is None:
            return None
        return {"at": row.last_contact.at.isoformat(), "what": row.last_contact.what}

    def get_promises(self, row) -> list[dict]:
        return [
            {
                "id": p.activity.pk,
                "invoice": p.activity.invoice_id,
                "amount": str(p.activity.amount),
                "currency": p.activity.currency,
                "promised_date": p.activity.promised_date.isoformat(),
                "outcome": p.status.outcome.value,
            }
            for p in row.promises
        ]

    def get_disputes(self, row) -> list[dict]:
        return [
            {
                "id": d.pk,
                "invoice": d.invoice_id,
                "reason": d.dispute_reason,
                "amount": str(d.amount),
                "currency": d.currency,
                "owner": d.owner.get_username() if d.owner else None,
                "status": d.status,
            }
            for d in row.disputes
        ]

    def get_open_calls(self, row) -> int:
        return len(row.calls)


class WorklistView(APIView):
    """Overdue accounts, largest overdue balance (reporting currency) first."""

    permission_classes = [NamedPermission]
    permission_required = "collections_app.view_collectionactivity"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "show",
                str,
                enum=[k for k in selectors.WORKLIST_FILTERS if k],
                description="Only calls to make, broken promises, open disputes or paused",
            ),
            OpenApiParameter("page", int),
            OpenApiParameter(
                "page_size",
                int,
                description=f"Accounts per page (default {selectors.WORKLIST_PAGE_SIZE}, "
                f"at most {selectors.WORKLIST_MAX_PAGE_SIZE})",
            ),
        ],
        responses=inline_serializer(
            "PaginatedWorklist",
            {
                "count": serializers.IntegerField(),
                "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True),
                "as_of": serializers.DateField(),
                "results": WorklistRowSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        show = request.query_params.get("show", "")
        if show not in selectors.WORKLIST_FILTERS:
            raise DomainValidationError(
                field="show",
                code=CollectionsError.UNKNOWN_FILTER,
                message="show must be one of "
                + ", ".join(k for k in selectors.WORKLIST_FILTERS if k)
                + ".",
            )
        page, page_size = page_params(
            request.query_params,
            default_size=selectors.WORKLIST_PAGE_SIZE,
            max_size=selectors.WORKLIST_MAX_PAGE_SIZE,
        )
        as_of = timezone.localdate()
        # Only the page's accounts are built; the ranking and the count come from SQL.
        found = selectors.worklist_page(as_of=as_of, show=show, page=page, page_size=page_size)
        following, previous = page_links(request, found.page, found.num_pages)
        return Response(
            {
                "count": found.count,
                "next": following,
                "previous": previous,
                "results": WorklistRowSerializer(found.rows, many=True).data,
                "as_of": as_of.isoformat(),
            }
        )
