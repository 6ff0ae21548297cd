"""The ASC 606 treatment of a change order over
/api/v1/revenue/change-orders/<change_id>/treatment/: GET what its facts called for and
why; POST Finance's override with a note (the schedules get a new version)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_permissions import NamedPermission
from ordermgmt.models import ContractChange

from .models import ChangeOrderRevenue, ModificationTreatment
from .services.change_orders import override_change_treatment


class TreatmentOutputSerializer(serializers.ModelSerializer):
    # Plain text: the same choice set as `treatment`, which names it once in the schema.
    suggested_treatment = serializers.CharField(read_only=True)

    class Meta:
        model = ChangeOrderRevenue
        fields = [
            "change",
            "treatment",
            "suggested_treatment",
            "reason",
            "facts",
            "applied",
            "override_note",
            "overridden_by",
            "overridden_at",
        ]
        read_only_fields = fields


class TreatmentOverrideSerializer(serializers.Serializer):
    treatment = serializers.ChoiceField(choices=ModificationTreatment.choices)
    note = serializers.CharField(allow_blank=True, max_length=2000, help_text="Why (required)")


class ChangeOrderTreatmentView(APIView):
    permission_classes = [NamedPermission]

    @property
    def permission_required(self):
        if self.request.method == "POST":
            return "revenue.recognise_revenue"
        return "revenue.view_revenueschedule"

    @extend_schema(responses=TreatmentOutputSerializer)
    def get(self, request, change_id: int):
        record = get_object_or_404(ChangeOrderRevenue, change_id=change_id)
        return Response(TreatmentOutputSerializer(record).data)

    @extend_schema(request=TreatmentOverrideSerializer, responses=TreatmentOutputSerializer)
    def post(self, request, change_id: int):
        change = get_object_or_404(ContractChange, pk=change_id)
        body = TreatmentOverrideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = override_change_treatment(change=change, actor=request.user, **body.validated_data)
        return Response(TreatmentOutputSerializer(record).data)
