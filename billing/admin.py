"""Billing in the admin. Documents (invoices once issued, credit notes, number series)
are read-only here; what changes them are the buttons, which call the billing services
like the invoice page does."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from billing import services
from billing.forms import (
    INVOICE_ACTIONS,
    ResolveExceptionsForm,
    UsageRecordForm,
    available_actions,
    done_message,
)
from billing.models import (
    BillingRun,
    BillingRunException,
    BillingScheduleLine,
    CreditApplication,
    CreditNote,
    CreditNoteLine,
    CreditRefund,
    FxRate,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceStatus,
    LegalEntity,
    NumberSeries,
    Payment,
    PaymentApplication,
    Refund,
    TaxRate,
    UsageRecord,
)
from billing.selectors import admin_url, money
from ordermgmt.admin_history import GuardedHistoryAdmin
from ordermgmt.errors import DomainValidationError


class ReadOnlyAdminMixin:
    """Records written only by services: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Invoices ----------------------------------------------------------------------------------


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = [
        "position",
        "description",
        "period_start",
        "period_end",
        "quantity",
        "unit_price",
        "discount_percent",
        "amount_display",
        "tax_percent",
        "tax_display",
    ]
    readonly_fields = fields
    ordering = ["position", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice")

    @admin.display(description="Amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.invoice.currency)

    @admin.display(description="Tax")
    def tax_display(self, obj):
        return money(obj.tax_amount, obj.invoice.currency)


class CreditNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditNote
    extra = 0
    fields = ["number", "credit_date", "total_amount", "reason", "is_void_of_invoice"]
    readonly_fields = fields
    show_change_link = True


DRAFT_EDITABLE_FIELDS = {"po_number", "invoice_date", "due_date"}


@admin.register(Invoice)
class InvoiceAdmin(GuardedHistoryAdmin):
    list_display = [
        "number_or_draft",
        "account",
        "contract_reference",
        "status",
        "settlement_status",
        "invoice_date",
        "due_date",
        "total",
        "open",
    ]
    list_filter = ["status", "settlement_status", "currency", "invoice_date", "due_date"]
    search_fields = ["number", "account__legal_name", "buyer_name", "po_number"]
    date_hierarchy = "invoice_date"
    list_select_related = ["account", "contract"]
    inlines = [InvoiceLineInline, CreditNoteInline]
    change_form_template = "billing/admin/invoice_change_form.html"
    actions = ["issue_selected"]
    fieldsets = [
        (None, {"fields": ["number", "status", "settlement_status", "legal_entity"]}),
        ("Buyer", {"fields": ["account", "buyer_name", "buyer_address", "buyer_tax_id"]}),
        (
            "Terms",
            {
                "fields": [
                    ("invoice_date", "due_date"),
                    "payment_terms",
                    "po_number",
                    "contract",
                    "currency",
                ]
            },
        ),
        (
            "Amounts",
            {
                "fields": [
                    ("subtotal", "tax", "total"),
                    ("credited", "paid", "open"),
                    ("tax_exempt", "tax_rounding"),
                ]
            },
        ),
        (
            "Trail",
            {"fields": ["billing_run", "replaces", "issued_at", "voided_at", "pdf", "pdf_sha256"]},
        ),
    ]

    def view_on_site(self, obj):
        return reverse("billing:invoice_detail", args=[obj.pk])

    def get_readonly_fields(self, request, obj=None):
        every = [name for fieldset in self.fieldsets for name in _flatten(fieldset[1]["fields"])]
        if obj is not None and obj.status == InvoiceStatus.DRAFT:
            return [name for name in every if name not in DRAFT_EDITABLE_FIELDS]
        return every

    @admin.display(description="Number", ordering="number")
    def number_or_draft(self, obj):
        return obj.number or f"DRAFT #{obj.pk}"

    @admin.display(description="Contract", ordering="contract")
    def contract_reference(self, obj):
        return obj.contract.reference if obj.contract_id else "—"

    @admin.display(description="Subtotal")
    def subtotal(self, obj):
        return money(obj.subtotal_amount, obj.currency)

    @admin.display(description="Tax")
    def tax(self, obj):
        return money(obj.tax_amount, obj.currency)

    @admin.display(description="Total", ordering="total_amount")
    def total(self, obj):
        return money(obj.total_amount, obj.currency)

    @admin.display(description="Credited")
    def credited(self, obj):
        return money(obj.credited_amount, obj.currency)

    @admin.display(description="Paid")
    def paid(self, obj):
        return money(obj.paid_amount, obj.currency)

    @admin.display(description="Open")
    def open(self, obj):
        return money(obj.open_amount, obj.currency)

    def has_add_permission(self, request):
        return False  # invoices come from billing runs (and corrections)

    def has_change_permission(self, request, obj=None):
        # An issued invoice is frozen; only a draft's PO and dates can be edited here.
        return super().has_change_permission(request, obj) and (
            obj is None or obj.status == InvoiceStatus.DRAFT
        )

    def has_delete_permission(self, request, obj=None):
        # Never a plain delete, not even of a draft: it would leave its schedule lines
        # marked billed. "Discard draft" voids it and gives the lines back to billing.
        return False

    def has_issue_permission(self, request):
        return request.user.has_perm("billing.issue_invoice")

    @admin.action(description="Issue selected drafts", permissions=["issue"])
    def issue_selected(self, request, queryset):
        issued, refused = [], []
        not_drafts = queryset.exclude(status=InvoiceStatus.DRAFT).count()
        for invoice in queryset.filter(status=InvoiceStatus.DRAFT).order_by("invoice_date", "id"):
            try:
                issued.append(services.issue_invoice(invoice=invoice, actor=request.user).number)
            except DomainValidationError as err:
                refused.append(f"draft #{invoice.pk}: {err.message}")
        if issued:
            self.message_user(request, f"Issued {', '.join(issued)}.", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        if not_drafts:
            self.message_user(
                request, f"{not_drafts} selected invoice(s) were not drafts.", messages.WARNING
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        invoice = self.get_object(request, object_id)
        if invoice is not None:
            extra_context["invoice_actions"] = available_actions(request.user, invoice)
            extra_context["console_url"] = reverse("billing:invoice_detail", args=[invoice.pk])
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:invoice_id>/action/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="billing_invoice_action",
            ),
            *super().get_urls(),
        ]

    def action_view(self, request, invoice_id, action):
        spec = INVOICE_ACTIONS.get(action)
        if spec is None or not request.user.has_perm(spec.permission):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        change_url = reverse("admin:billing_invoice_change", args=[invoice.pk])
        form = spec.form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            result, refused = form.run(invoice, request.user)
            if result is not None:
                self.message_user(request, done_message(action, invoice, result))
                if action == "correct":
                    return redirect("admin:billing_invoice_change", result.pk)
                return redirect(change_url)
            if refused:
                self.message_user(request, refused, messages.ERROR)
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "invoice": invoice,
            "total": money(invoice.total_amount, invoice.currency),
            "open": money(invoice.open_amount, invoice.currency),
            "form": form,
            "action": spec,
            "title": f"{spec.label}: {invoice}",
        }
        return TemplateResponse(request, "billing/admin/invoice_action.html", context)


def _flatten(fields):
    for item in fields:
        if isinstance(item, (list, tuple)):
            yield from item
        else:
            yield item


class CreditNoteLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditNoteLine
    extra = 0
    fields = ["invoice_line", "description", "amount", "tax_amount"]
    readonly_fields = fields


class CreditApplicationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditApplication
    fk_name = "credit_note"
    extra = 0
    fields = ["invoice", "applied_date", "amount", "reverses", "reason", "created_by"]
    readonly_fields = fields


class CreditRefundInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditRefund
    extra = 0
    fields = ["refund_date", "amount", "reference", "reason", "created_by"]
    readonly_fields = fields


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, GuardedHistoryAdmin):
    list_display = [
        "number",
        "invoice",
        "account",
        "credit_date",
        "total",
        "on_account",
        "is_void_of_invoice",
        "created_by",
    ]
    list_filter = ["is_void_of_invoice", "currency", "credit_date"]
    search_fields = ["number", "invoice__number", "invoice__account__legal_name", "reason"]
    date_hierarchy = "credit_date"
    list_select_related = ["invoice__account", "created_by"]
    inlines = [CreditNoteLineInline, CreditApplicationInline, CreditRefundInline]

    def view_on_site(self, obj):
        return reverse("billing:credit_note_detail", args=[obj.pk])

    @admin.display(description="Credit on account (left)")
    def on_account(self, obj):
        if not obj.on_account_amount:
            return "—"
        return money(obj.unapplied_amount, obj.currency)

    @admin.display(description="Account", ordering="invoice__account__legal_name")
    def account(self, obj):
        return obj.invoice.account

    @admin.display(description="Total", ordering="total_amount")
    def total(self, obj):
        return money(obj.total_amount, obj.currency)


@admin.register(InvoiceDelivery)
class InvoiceDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "sent_at", "message_id"]
    search_fields = ["invoice__number", "message_id"]
    list_select_related = ["invoice"]


# --- Payments (read-only: they move through the payment services) --------------------


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


# --- Schedules and usage ----------------------------------------------------------------------


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
            "title": "Record usage",
        }
        return TemplateResponse(request, "billing/admin/usage_record_add.html", context)


# --- Billing runs ---------------------------------------------------------------------------


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


# --- Seller, tax, numbering, FX -------------------------------------------------------------


@admin.register(LegalEntity)
class LegalEntityAdmin(GuardedHistoryAdmin):
    list_display = ["name", "tax_id", "invoice_prefix", "credit_note_prefix", "is_default"]
    list_filter = ["is_default"]
    search_fields = ["name", "tax_id"]


@admin.register(TaxRate)
class TaxRateAdmin(GuardedHistoryAdmin):
    list_display = ["name", "country", "region", "percent", "effective_from", "effective_to"]
    list_filter = ["country", "effective_from"]
    search_fields = ["name", "country", "region"]


@admin.register(NumberSeries)
class NumberSeriesAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Gapless series move only by issuing; an edit here could skip or reuse numbers."""

    list_display = ["legal_entity", "document_type", "year", "prefix", "next_number"]
    list_filter = ["document_type", "year", "legal_entity"]


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "reporting_currency", "rate_date", "rate"]
    list_filter = ["currency", "reporting_currency"]
    date_hierarchy = "rate_date"
    search_fields = ["currency"]
