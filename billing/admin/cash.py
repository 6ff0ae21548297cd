"""Payments in the admin (read-only: the cash pages move money)."""

from __future__ import annotations

from django.contrib import admin

from billing.filters import account_name_q, payment_search_q
from billing.models import (
    Payment,
    PaymentApplication,
    Refund,
)
from billing.selectors import money
from core.admin_history import GuardedHistoryAdmin
from core.admin_lists import CurrencyListFilter, LongListAdminMixin

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
class PaymentAdmin(LongListAdminMixin, ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = [
        "reference",
        "account",
        "method",
        "received_date",
        "amount_display",
        "unapplied",
    ]
    list_filter = ["method", ("currency", CurrencyListFilter), "received_date"]
    search_fields = ["reference", "external_id", "account__legal_name"]  # see below
    list_select_related = ["account"]
    inlines = [PaymentApplicationInline, RefundInline]

    def get_search_results(self, request, queryset, search_term):
        # Prefixes of the references and the account's name, each on an index, not
        # a substring match over every payment.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(payment_search_q(term) | account_name_q(term)), False

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description="Unapplied")
    def unapplied(self, obj):
        return money(obj.unapplied_amount, obj.currency)
