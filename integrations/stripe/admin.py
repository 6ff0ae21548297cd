"""Read-only records of what went to Stripe and what came back; retries go through the
same service as the integration page's "Retry now"."""

from __future__ import annotations

from django.contrib import admin, messages

from core.errors import DomainValidationError

from .models import StripeCreditNotePush, StripeInvoicePush, StripeWebhookEvent
from .push import retry_push


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _retry_action(retry):
    def action(modeladmin, request, queryset):
        if not request.user.has_perm("stripe_billing.retry_stripe_push"):
            messages.error(request, "You may not retry Stripe pushes.")
            return
        for push in queryset:
            try:
                retry(push=push, actor=request.user)
            except DomainValidationError as err:
                messages.error(request, f"{push}: {err.message}")
            else:
                messages.success(request, f"{push} queued again.")

    action.__name__ = "retry_now"
    action.short_description = "Retry now"
    return action


@admin.register(StripeInvoicePush)
class StripeInvoicePushAdmin(ReadOnlyAdmin):
    list_display = [
        "invoice",
        "state",
        "step",
        "attempts",
        "stripe_invoice_id",
        "stripe_status",
        "last_error_code",
        "updated_at",
    ]
    list_filter = ["state", "stripe_status"]
    search_fields = ["invoice__number", "stripe_invoice_id", "stripe_customer_id"]
    list_select_related = ["invoice"]
    actions = [_retry_action(retry_push)]


@admin.register(StripeCreditNotePush)
class StripeCreditNotePushAdmin(ReadOnlyAdmin):
    list_display = ["credit_note", "kind", "state", "attempts", "stripe_credit_note_id"]
    list_filter = ["state", "kind"]
    search_fields = ["credit_note__number", "stripe_credit_note_id", "stripe_invoice_id"]
    list_select_related = ["credit_note"]
    actions = [_retry_action(retry_push)]


@admin.register(StripeWebhookEvent)
class StripeWebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "outcome", "deliveries", "invoice", "received_at"]
    list_filter = ["outcome", "type"]
    search_fields = ["event_id", "stripe_object_id", "invoice__number"]
    list_select_related = ["invoice"]
