"""Invoices, credit notes and deliveries in the admin."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from billing import services
from billing.filters import invoice_search_q
from billing.forms import (
    INVOICE_ACTIONS,
    available_actions,
    done_message,
)
from billing.models import (
    CreditApplication,
    CreditNote,
    CreditNoteLine,
    CreditRefund,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceResend,
    InvoiceStatus,
)
from billing.selectors import money
from billing.selectors.invoices import open_shown
from core.admin_history import GuardedHistoryAdmin
from core.admin_lists import CurrencyListFilter, LongListAdminMixin
from core.errors import DomainValidationError

from .base import ReadOnlyAdminMixin


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
class InvoiceAdmin(LongListAdminMixin, GuardedHistoryAdmin):
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
    list_filter = [
        "status",
        "settlement_status",
        ("currency", CurrencyListFilter),
        "invoice_date",
        "due_date",
    ]
    search_fields = ["number", "account__legal_name", "po_number"]  # see get_search_results
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

    def get_search_results(self, request, queryset, search_term):
        # The invoice list's search (billing/filters.py), each part on an index, not
        # a substring match over every invoice and its account.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(invoice_search_q(term)), False

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

    # The reference is the contract's id (CTR-000123): sorted by it, not by the
    # contract's own default order, so that invoice_contract_order serves the sort.
    @admin.display(description="Contract", ordering="contract_id")
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
        return open_shown(obj)

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
class CreditNoteAdmin(LongListAdminMixin, ReadOnlyAdminMixin, GuardedHistoryAdmin):
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
    list_filter = ["is_void_of_invoice", ("currency", CurrencyListFilter), "credit_date"]
    # A void or its author is a filter's job: sorted by a yes/no or a handful of users
    # a page of a long list would order the whole table.
    sortable_by = ["number", "invoice", "account", "credit_date", "total"]
    search_fields = ["number", "invoice__number", "invoice__account__legal_name", "reason"]
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


@admin.register(InvoiceResend)
class InvoiceResendAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["invoice", "requested_by", "requested_at", "sent_at", "message_id"]
    search_fields = ["invoice__number", "message_id"]
    list_select_related = ["invoice", "requested_by"]
