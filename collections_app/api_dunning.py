"""POST /api/v1/collections/dunning-runs/: run dunning for a date, or preview it.

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
from core.api_permissions import NamedPermission

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
