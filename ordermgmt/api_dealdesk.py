"""REST API for deal desk under /api/v1/dealdesk/: reviews (read, approve, reject,
comment) and rules (read for every role; create and change for Admin).

Decisions go through ordermgmt.services, as the dashboard's forms and the admin's
buttons do.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from ordermgmt import services
from ordermgmt.api import CommentSerializer, ModelValidatingSerializer
from ordermgmt.dealdesk import selectors
from ordermgmt.dealdesk.filters import DealDeskReviewFilter
from ordermgmt.models import (
    DealDeskDecision,
    DealDeskFlag,
    DealDeskReview,
    DealDeskRule,
    DecisionKind,
)

COMMENT_PERMISSIONS = ("ordermgmt.approve_contract", "ordermgmt.submit_contract")


class DealDeskFlagSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", default=None, read_only=True)

    class Meta:
        model = DealDeskFlag
        fields = [
            "rule",
            "rule_name",
            "rule_type",
            "severity",
            "line_number",
            "reason",
            "consequence",
            "figures",
            "required_approvals",
        ]


class DealDeskDecisionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(
        source="actor.get_username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = DealDeskDecision
        fields = ["kind", "actor", "comment", "created_at"]


class ReviewContractSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    account_name = serializers.CharField(source="account.legal_name")
    owner = serializers.CharField(source="owner.get_username", default=None, allow_null=True)
    status = serializers.CharField()


class DealDeskReviewSerializer(serializers.ModelSerializer):
    contract = ReviewContractSerializer(read_only=True)
    submitted_by = serializers.CharField(
        source="submitted_by.get_username", default=None, allow_null=True, read_only=True
    )
    is_overdue = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()
    flags = DealDeskFlagSerializer(many=True, read_only=True)
    decisions = DealDeskDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = DealDeskReview
        fields = [
            "id",
            "contract",
            "status",
            "trigger",
            "submitted_by",
            "opened_at",
            "sla_due_at",
            "is_overdue",
            "decided_at",
            "required_approvals",
            "approvals",
            "currency",
            "tcv_amount",
            "acv_amount",
            "flags",
            "decisions",
        ]

    def get_is_overdue(self, review: DealDeskReview) -> bool:
        return review.is_overdue()

    def get_approvals(self, review: DealDeskReview) -> int:
        return sum(1 for d in review.decisions.all() if d.kind == DecisionKind.APPROVE)


class DealDeskReviewViewSet(viewsets.ReadOnlyModelViewSet):
    # In SLA order unless `sort` (the queue page's) or `ordering` asks otherwise.
    queryset = selectors.reviews_for_list().prefetch_related("flags__rule", "decisions__actor")
    serializer_class = DealDeskReviewSerializer
    filterset_class = DealDeskReviewFilter
    ordering_fields = ["opened_at", "sla_due_at", "tcv_amount", "decided_at", "flag_count"]
    search_fields = ["contract__name", "contract__account__legal_name"]
    required_permissions = {
        "approve": ["ordermgmt.approve_contract"],
        "reject": ["ordermgmt.approve_contract"],
        "comment": ["ordermgmt.view_dealdeskreview"],
    }

    def _out(self, review: DealDeskReview) -> Response:
        return Response(DealDeskReviewSerializer(self.get_queryset().get(pk=review.pk)).data)

    def _decide(self, request, service) -> Response:
        review = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service(
            contract=review.contract,
            actor=request.user,
            comment=body.validated_data["comment"],
            review=review,
        )
        return self._out(review)

    @extend_schema(
        request=CommentSerializer,
        responses=DealDeskReviewSerializer,
        description="One approval with a required comment. The contract is approved when "
        "the review has its required number of distinct approvers.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, services.approve_contract)

    @extend_schema(
        request=CommentSerializer,
        responses=DealDeskReviewSerializer,
        description="Rejects with a required comment; the contract goes back to draft.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(request, services.reject_contract)

    @extend_schema(request=CommentSerializer, responses=DealDeskReviewSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        if not any(request.user.has_perm(p) for p in COMMENT_PERMISSIONS):
            raise PermissionDenied("Commenting needs the submit or approve permission.")
        review = self.get_object()
        body = CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.comment_on_review(
            review=review, actor=request.user, comment=body.validated_data["comment"]
        )
        return self._out(review)


class DealDeskRuleSerializer(ModelValidatingSerializer):
    class Meta:
        model = DealDeskRule
        fields = [
            "id",
            "name",
            "rule_type",
            "description",
            "active",
            "severity",
            "threshold",
            "threshold_currency",
            "allowed_values",
            "fx_rates",
            "required_approvals",
            "sla_hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class DealDeskRuleViewSet(viewsets.ModelViewSet):
    """Rules are deactivated, never deleted: past flags point at them."""

    queryset = DealDeskRule.objects.all()
    serializer_class = DealDeskRuleSerializer
    filterset_fields = ["rule_type", "active", "severity"]
    search_fields = ["name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
