"""Payments in the admin (read-only: the cash pages move money)."""

from __future__ import annotations

from django.contrib import admin

from billing.models import (
    Payment,
    PaymentApplication,
    Refund,
)
from billing.selectors import money
from core.admin_history import GuardedHistoryAdmin

from .base import ReadOnlyAdminMixin


class PaymentApplicationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentApplication
    fk_name = "payment"
    extra = 0
    fields = ["invoice", "applied_date", "amount", "reverses", "reason", "created_by"]
    readonly_fields = fields


class RefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Refund
    extra = 0
    fields = ["refund_date", "amount", "reference", "reason", "created_by"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = [
        "reference",
        "account",
        "method",
        "received_date",
        "amount_display",
        "unapplied",
    ]
    list_filter = ["method", "currency", "received_date"]
    search_fields = ["reference", "external_id", "account__legal_name"]
    date_hierarchy = "received_date"
    list_select_related = ["account"]
    inlines = [PaymentApplicationInline, RefundInline]

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="Unapplied")
    def unapplied(self, obj):
        return money(obj.unapplied_amount, obj.currency)
