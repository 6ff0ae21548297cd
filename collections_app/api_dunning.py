"""POST /api/v1/collections/dunning-runs/: run dunning for a date, or preview it; and
/api/v1/collections/dunning-policies/: the policies and their steps, read and written.

A dry run needs to read reminders; a real run needs to manage dunning policies (the
Finance role). The report lists each reminder with its recipients and why."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_app.dunning.run import run_dunning
from collections_app.models import DunningAction, DunningPolicy
from collections_app.services import policies
from core.api_permissions import NamedPermission
from ordermgmt.api_catalog import ReferenceDataViewSet, documented

PREVIEW = "collections_app.view_dunningreminder"
SEND = "collections_app.change_dunningpolicy"


class DunningRunInputSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, allow_null=True, default=None)
    dry_run = serializers.BooleanField(default=True, help_text="True (default): send nothing.")


class DunningLineSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    account_name = serializers.CharField()
    invoice_id = serializers.IntegerField()
    invoice_number = serializers.CharField()
    outcome = serializers.CharField(
        help_text="emailed, calls_flagged, deferred (contact delay) or no_billing_contact."
    )
    step = serializers.CharField()
    step_offset_days = serializers.IntegerField(allow_null=True)
    days_past_due = serializers.IntegerField()
    open_amount = serializers.CharField()
    recipients = serializers.ListField(child=serializers.CharField())
    why = serializers.CharField()


class DunningRunOutputSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    dry_run = serializers.BooleanField()
    totals = serializers.DictField(child=serializers.IntegerField())
    lines = DunningLineSerializer(many=True)


class DunningRunView(APIView):
    permission_classes = [NamedPermission]
    permission_required = PREVIEW

    @extend_schema(
        request=DunningRunInputSerializer,
        responses=DunningRunOutputSerializer,
        description="Previews (`dry_run`, the default) or sends the reminders due as of "
        "`as_of` (default today; a real run cannot be dated after today). A dry run and a "
        "real run for the same date agree; running again sends nothing.",
    )
    def post(self, request):
        body = DunningRunInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not data["dry_run"] and not request.user.has_perm(SEND):
            raise PermissionDenied("Sending dunning needs the right to manage dunning policies.")
        report = run_dunning(as_of=data["as_of"] or timezone.localdate(), dry_run=data["dry_run"])
        return Response(DunningRunOutputSerializer(report.as_dict()).data)


# --- Policies ---------------------------------------------------------------------------------


class DunningStepSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    offset_days = serializers.IntegerField(
        min_value=-90, max_value=365, help_text="Days from the invoice's due date."
    )
    action = serializers.ChoiceField(choices=DunningAction.choices, default=DunningAction.EMAIL)
    name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    subject_template = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    body_template = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default=""
    )


class DunningPolicyOutputSerializer(serializers.ModelSerializer):
    steps = DunningStepSerializer(many=True, read_only=True)

    class Meta:
        model = DunningPolicy
        fields = [
            "id", "name", "description", "min_contact_days", "is_default", "active",
            "per_customer", "steps", "created_at", "updated_at",
        ]  # fmt: skip


class DunningPolicyInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    min_contact_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    is_default = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    per_customer = serializers.BooleanField(
        required=False,
        help_text="One reminder per customer listing all overdue invoices; the steps follow "
        "the oldest unpaid (carrying) invoice.",
    )
    steps = DunningStepSerializer(
        many=True, required=False, help_text="All the policy's steps; matched by offset."
    )


@documented(DunningPolicyInputSerializer, DunningPolicyOutputSerializer)
class DunningPolicyViewSet(ReferenceDataViewSet):
    """Read: Finance, Auditor, Admin. Write: Finance and Admin, with the admin's checks."""

    queryset = DunningPolicy.objects.prefetch_related("steps").order_by("-is_default", "name")
    serializer_class = DunningPolicyOutputSerializer
    input_serializer_class = DunningPolicyInputSerializer

    def create_object(self, *, actor, **fields):
        return policies.create_dunning_policy(actor=actor, **fields)

    def change_object(self, instance, *, actor, **changes):
        return policies.change_dunning_policy(instance, actor=actor, **changes)
