"""POST /api/v1/collections/accounts/{id}/statement-email/: e-mail the statement of
account (PDF attached) to the account's billing contacts, now."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from collections_app.statements.models import StatementDelivery
from collections_app.statements.services import email_statement
from core.api_permissions import NamedPermission
from ordermgmt.models import Account

SEND = [
    "billing.view_invoice",
    "billing.view_payment",
    "collections_app.add_collectionactivity",
]


class StatementEmailInputSerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: the 1st of `end`'s month.",
    )
    end = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: today."
    )
    currency = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=3,
        help_text="Default: the account's currency.",
    )  # fmt: skip


class StatementDeliveryOutputSerializer(serializers.ModelSerializer):
    closing_balance = serializers.DecimalField(max_digits=19, decimal_places=4)

    class Meta:
        model = StatementDelivery
        fields = [
            "id", "account", "currency", "period_start", "period_end", "kind",
            "recipients", "closing_balance", "sent_at", "sent_by",
        ]  # fmt: skip


class StatementEmailView(APIView):
    permission_classes = [NamedPermission]
    permission_required = SEND

    @extend_schema(
        request=StatementEmailInputSerializer,
        responses={201: StatementDeliveryOutputSerializer},
        description="Sends the statement of the period now (PDF attached). 400 "
        "account/no_billing_contact when the account has no billing e-mail.",
    )
    def post(self, request, account_id: int):
        account = get_object_or_404(Account, pk=account_id)
        body = StatementEmailInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        end = body.validated_data["end"] or timezone.localdate()
        start = body.validated_data["start"] or end.replace(day=1)
        delivery = email_statement(
            account=account, start=start, end=end, actor=request.user,
            currency=body.validated_data["currency"] or None,
        )  # fmt: skip
        return Response(
            StatementDeliveryOutputSerializer(delivery).data, status=status.HTTP_201_CREATED
        )
