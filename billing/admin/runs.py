"""Billing schedule lines, usage, billing runs and their exceptions in the admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from billing import services
from billing.forms import (
    ResolveExceptionsForm,
    UsageRecordForm,
)
from billing.models import (
    BillingRun,
    BillingRunException,
    BillingScheduleLine,
    UsageRecord,
)
from billing.selectors import admin_url, money
from core.errors import DomainValidationError

from .base import ReadOnlyAdminMixin


@admin.register(BillingScheduleLine)
class BillingScheduleLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "contract",
        "contract_line",
        "kind",
        "period",
        "billing_date",
        "amount_display",
        "status",
        "invoice_link",
    ]
    list_filter = ["status", "kind", "currency", "billing_date"]
    search_fields = [
        "contract__name",
        "contract__account__legal_name",
        "contract_line__product__sku",
    ]
    date_hierarchy = "billing_date"
    list_select_related = ["contract", "contract_line__product", "invoice_line__invoice"]

    @admin.display(description="Service period")
    def period(self, obj):
        return f"{obj.period_start} – {obj.period_end}"

    @admin.display(description="Amount", ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency) if obj.amount is not None else "usage"

    @admin.display(description="Invoice")
    def invoice_link(self, obj):
        if not obj.invoice_line_id:
            return "—"
        invoice = obj.invoice_line.invoice
        url = reverse("billing:invoice_detail", args=[invoice.pk])
        return format_html('<a href="{}">{}</a>', url, invoice.number or f"DRAFT #{invoice.pk}")


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    """Usage is evidence behind billed amounts: recorded (through record_usage, which is
    idempotent by reference), never edited or deleted."""

    list_display = ["reference", "contract_line", "usage_date", "quantity", "recorded_at"]
    list_filter = ["usage_date"]
    search_fields = ["reference", "contract_line__contract__account__legal_name"]
    date_hierarchy = "usage_date"
    list_select_related = ["contract_line__product"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        # Not the stock add view: that one runs inside a transaction, and the durable
        # record_usage service must own its own.
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UsageRecordForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                record = form.record()
            except DomainValidationError as err:
                form.add_error(err.field if err.field in form.fields else None, err.message)
            else:
                self.message_user(request, f"Usage {record.reference} recorded.")
                return redirect("admin:billing_usagerecord_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "media": self.media + form.media,  # the contract line lookup's popup
            "title": "Record usage",
        }
        return TemplateResponse(request, "billing/admin/usage_record_add.html", context)


class BillingRunExceptionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = BillingRunException
    extra = 0
    fields = ["contract", "account", "reason", "message", "lines_skipped", "resolved"]
    readonly_fields = fields


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "run_date",
        "dry_run",
        "status",
        "invoices_created",
        "lines_billed",
        "created_by",
        "created_at",
        "run_page",
    ]
    list_filter = ["status", "dry_run", "run_date"]
    date_hierarchy = "run_date"
    list_select_related = ["created_by"]
    inlines = [BillingRunExceptionInline]
    exclude = ["preview", "changes_since_last_preview"]

    def view_on_site(self, obj):
        return reverse("billing:run_detail", args=[obj.pk])

    @admin.display(description="Run page")
    def run_page(self, obj):
        return format_html('<a href="{}">Open</a>', reverse("billing:run_detail", args=[obj.pk]))


@admin.register(BillingRunException)
class BillingRunExceptionAdmin(admin.ModelAdmin):
    list_display = [
        "contract",
        "account",
        "reason",
        "message",
        "lines_skipped",
        "billing_run",
        "resolved",
    ]
    list_filter = ["resolved", "reason", "billing_run__run_date"]
    search_fields = ["account__legal_name", "contract__name", "message"]
    list_select_related = ["contract", "account", "billing_run"]
    # Resolving goes through resolve_run_exception (who, when, note): never edited here.
    readonly_fields = [
        "billing_run",
        "account",
        "contract",
        "currency",
        "reason",
        "message",
        "lines_skipped",
        "contract_link",
        "account_link",
        "resolved",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]
    fields = [
        "billing_run",
        "account",
        "contract",
        "currency",
        "reason",
        "message",
        "lines_skipped",
        "contract_link",
        "account_link",
        "resolved",
        "resolved_by",
        "resolved_at",
        "resolution_note",
    ]
    actions = ["mark_resolved"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Fix on the contract")
    def contract_link(self, obj):
        return format_html('<a href="{}">{}</a>', admin_url(obj.contract), obj.contract)

    @admin.display(description="Fix on the account")
    def account_link(self, obj):
        return format_html('<a href="{}">{}</a>', admin_url(obj.account), obj.account)

    @admin.action(description="Mark selected exceptions resolved", permissions=["change"])
    def mark_resolved(self, request, queryset):
        """Asks for the resolution note first, then resolves each open one through the
        service (which records who, when and the note)."""
        open_ones = list(queryset.filter(resolved=False).select_related("contract", "account"))
        form = ResolveExceptionsForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            for exception in open_ones:
                services.resolve_run_exception(
                    exception=exception,
                    actor=request.user,
                    resolution_note=form.cleaned_data["resolution_note"],
                )
            self.message_user(
                request, f"{len(open_ones)} exception(s) marked resolved.", messages.SUCCESS
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Resolve billing exceptions",
            "form": form,
            "exceptions": open_ones,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "billing/admin/resolve_exceptions.html", context)
