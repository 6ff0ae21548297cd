from decimal import Decimal, localcontext

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin_history import GuardedHistoryAdmin
from core.errors import DomainValidationError
from core.money import WIDE, format_money
from ordermgmt import services
from ordermgmt.admin_contract_forms import (
    ContractAdminForm,
    ContractLineAdminForm,
    RampStepForm,
    RampStepInlineFormSet,
    product_list_prices,
)
from ordermgmt.models import (
    Account,
    Contact,
    Contract,
    ContractLine,
    ContractStatus,
    Opportunity,
    OpportunityLine,
    Product,
    ProductPrice,
    RampStep,
)
from ordermgmt.services import contracts as contract_services
from ordermgmt.services.dealdesk import latest_review
from ordermgmt.services.ramp_steps import replace_ramp_steps

admin.site.site_header = "Ledgerline console"
admin.site.site_title = "Ledgerline"
admin.site.index_title = "Records"
admin.site.site_url = "/"


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "is_billing_contact"]


@admin.register(Account)
class AccountAdmin(GuardedHistoryAdmin):
    list_display = [
        "legal_name",
        "billing_country",
        "default_currency",
        "default_payment_terms",
        "tax_exempt",
        "salesforce_id",
        "stripe_customer_id",
    ]
    list_filter = ["default_currency", "billing_country", "tax_exempt"]
    search_fields = ["legal_name", "tax_id", "salesforce_id", "stripe_customer_id"]
    inlines = [ContactInline]
    fieldsets = [
        (None, {"fields": ["legal_name", "owner"]}),
        (
            "Billing address",
            {
                "fields": [
                    "billing_address_line1",
                    "billing_address_line2",
                    ("billing_postal_code", "billing_city"),
                    ("billing_region", "billing_country"),
                ]
            },
        ),
        (
            "Billing defaults",
            {"fields": ["default_currency", "default_payment_terms", "tax_id", "tax_exempt"]},
        ),
        ("External ids", {"fields": ["salesforce_id", "stripe_customer_id"]}),
        (
            "E-invoicing",
            {
                "fields": [
                    ("vat_id", "company_id"),
                    "tax_exemption_reason",
                    ("buyer_reference", "purchase_order_number"),
                    ("peppol_endpoint_id", "einvoice_format"),
                ]
            },
        ),
    ]


@admin.register(Contact)
class ContactAdmin(GuardedHistoryAdmin):
    list_display = ["name", "email", "account", "is_billing_contact"]
    list_filter = ["is_billing_contact"]
    search_fields = ["name", "email", "account__legal_name"]
    autocomplete_fields = ["account"]


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 0


@admin.register(Product)
class ProductAdmin(GuardedHistoryAdmin):
    list_display = ["sku", "name", "revenue_type", "active", "distinct"]
    list_filter = ["revenue_type", "active", "distinct"]
    search_fields = ["sku", "name"]
    inlines = [ProductPriceInline]


class OpportunityLineInline(admin.TabularInline):
    model = OpportunityLine
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "stage", "close_date", "amount", "currency", "owner_name"]
    list_filter = ["stage", "currency"]
    search_fields = ["name", "account__legal_name", "salesforce_id"]
    date_hierarchy = "close_date"
    autocomplete_fields = ["account"]
    inlines = [OpportunityLineInline]


READ_ONLY_LINE_FIELDS = {
    "quantity": "quantity_shown",
    "unit_price": "unit_price_shown",
    "ramp_steps": "ramp_steps_shown",
}


class ContractLineInline(admin.TabularInline):
    model = ContractLine
    form = ContractLineAdminForm
    extra = 0
    fields = [
        "product",
        "description",
        "quantity",
        "unit_price",
        "discount_percent",
        "currency",
        "ramp_steps",
    ]
    # A plain select, not an autocomplete: the product picker script fills the line's list
    # price and currency when the product changes (static/ledgerline/contract-entry.js).

    def get_fields(self, request, obj=None):
        if obj is None or self.has_change_permission(request, obj):
            return self.fields
        return [READ_ONLY_LINE_FIELDS.get(name, name) for name in self.fields]

    def get_readonly_fields(self, request, obj=None):
        if obj is None or self.has_change_permission(request, obj):
            return super().get_readonly_fields(request, obj)
        return list(READ_ONLY_LINE_FIELDS.values())

    @admin.display(description="Qty")
    def quantity_shown(self, line):
        return f"{line.quantity.normalize():f}"

    @admin.display(description="Unit price")
    def unit_price_shown(self, line):
        return format_money(line.unit_price, line.currency or line.contract.currency)

    @admin.display(description="Ramp steps")
    def ramp_steps_shown(self, line):
        currency = line.currency or line.contract.currency
        return (
            "; ".join(
                f"{s.start_date:%d %b %Y} – {s.end_date:%d %b %Y}: {s.quantity.normalize():f} @ "
                f"{format_money(s.unit_price, currency)}"
                for s in line.ramp_steps.all()
            )
            or "—"
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)


class RampStepInline(admin.TabularInline):
    model = RampStep
    form = RampStepForm
    formset = RampStepInlineFormSet
    extra = 0


@admin.register(ContractLine)
class ContractLineAdmin(GuardedHistoryAdmin):
    list_display = ["contract", "product", "quantity", "unit_price", "discount_percent", "currency"]
    search_fields = ["contract__name", "product__sku"]
    list_filter = ["currency", "product__revenue_type"]
    autocomplete_fields = ["product"]
    readonly_fields = ["contract"]
    inlines = [RampStepInline]

    def has_add_permission(self, request):
        return False  # lines are added on their contract

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or obj.contract.is_editable
        )


class BillingHoldForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class ContractTransitionForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    confirm_catch_up = forms.BooleanField(
        required=False, label="I have checked the catch-up: bill these past periods now"
    )


# action -> (service, permission, needs a comment, the label on the button)
CONTRACT_ACTIONS = {
    "submit": (services.submit_contract, "ordermgmt.submit_contract", False, "Submit for review"),
    "approve": (services.approve_contract, "ordermgmt.approve_contract", True, "Approve"),
    "reject": (services.reject_contract, "ordermgmt.approve_contract", True, "Reject"),
    "activate": (services.activate_contract, "ordermgmt.activate_contract", False, "Activate"),
    "cancel": (services.cancel_contract, "ordermgmt.cancel_contract", True, "Cancel contract"),
}
ACTION_TARGET = {
    "submit": ContractStatus.PENDING_REVIEW,
    "approve": ContractStatus.APPROVED,
    "reject": ContractStatus.DRAFT,
    "activate": ContractStatus.ACTIVE,
    "cancel": ContractStatus.CANCELLED,
}
# Moves the state machine allows from more statuses than the button makes sense for:
# only drafts are submitted (approved -> pending review is the deal desk's re-open), and
# only contracts pending review are approved (draft -> approved is auto-approval).
ACTION_FROM = {
    "submit": {ContractStatus.DRAFT},
    "approve": {ContractStatus.PENDING_REVIEW},
    "reject": {ContractStatus.PENDING_REVIEW},
}


@admin.register(Contract)
class ContractAdmin(GuardedHistoryAdmin):
    form = ContractAdminForm
    list_display = [
        "reference",
        "name",
        "account",
        "status",
        "kind",
        "start_date",
        "end_date",
        "currency",
        "billing_frequency",
        "payment_terms",
        "total_value",
    ]
    list_filter = ["status", "kind", "currency", "billing_frequency", "billing_timing"]
    search_fields = ["name", "account__legal_name", "po_number", "id"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["account", "original_contract", "opportunity"]
    readonly_fields = ["status", "activated_at", "created_at", "updated_at"]
    list_select_related = ["account"]
    inlines = [ContractLineInline]
    change_form_template = "admin/ordermgmt/contract/change_form.html"
    fieldsets = [
        (None, {"fields": ["name", "account", "status", "owner", "opportunity"]}),
        ("Term", {"fields": [("start_date", "end_date"), "currency", "payment_terms"]}),
        (
            "Billing",
            {
                "fields": [
                    ("billing_frequency", "billing_timing"),
                    ("day_count_convention", "billing_anchor_day"),
                    "prices_include_tax",
                    "custom_billing_plan",
                    "po_number",
                    "billing_hold",
                ]
            },
        ),
        ("Clauses", {"fields": ["auto_renew", "termination_for_convenience", "notes"]}),
        ("Amendment or renewal", {"fields": ["kind", "original_contract"]}),
        ("Timestamps", {"fields": ["activated_at", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "billing_plan_shown" if f == "custom_billing_plan" else f
                        for f in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description="Custom billing plan")
    def billing_plan_shown(self, obj):
        return (
            "; ".join(
                f"{row.get('billing_date')}: {row.get('percent')}%"
                for row in obj.custom_billing_plan or []
            )
            or "—"
        )

    @admin.display(description="Value")
    def total_value(self, obj):
        with localcontext(WIDE):
            total = sum((line.net_amount for line in obj.lines.all()), start=Decimal(0))
        return format_money(total, obj.currency)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    class Media:
        css = {"all": ["ledgerline/contract-entry.css"]}
        js = ["ledgerline/contract-entry.js"]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is not ContractLine:
            return
        for line_form in formset.forms:
            line = line_form.instance
            if line.pk is None or line_form in formset.deleted_forms:
                continue
            if "ramp_steps" in line_form.changed_data:
                replace_ramp_steps(
                    line=line, steps=line_form.cleaned_data["ramp_steps"], actor=request.user
                )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "product_list_prices": product_list_prices()}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        # Contracts are cancelled, never deleted; only unsubmitted drafts may go.
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == ContractStatus.DRAFT
        )

    def billing_hold_url(self, request, contract) -> str | None:
        """Active contracts change their hold here; editable ones also in the form."""
        if contract.status != ContractStatus.ACTIVE:
            return None
        if not request.user.has_perm("ordermgmt.change_contract"):
            return None
        return reverse("admin:ordermgmt_contract_billing_hold", args=[contract.pk])

    def available_actions(self, request, contract):
        return [
            (name, label)
            for name, (_, perm, _, label) in CONTRACT_ACTIONS.items()
            if request.user.has_perm(perm)
            and contract.can_transition_to(ACTION_TARGET[name])
            and contract.status in ACTION_FROM.get(name, {contract.status})
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        contract = self.get_object(request, object_id)
        if contract is not None:
            extra_context["contract_actions"] = self.available_actions(request, contract)
            extra_context["billing_hold_url"] = self.billing_hold_url(request, contract)
            if request.user.has_perm("ordermgmt.view_dealdeskreview"):
                extra_context["deal_desk_review"] = latest_review(contract)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:contract_id>/billing-hold/",
                self.admin_site.admin_view(self.billing_hold_view),
                name="ordermgmt_contract_billing_hold",
            ),
            path(
                "<int:contract_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="ordermgmt_contract_transition",
            ),
            *super().get_urls(),
        ]

    def billing_hold_view(self, request, contract_id):
        if not request.user.has_perm("ordermgmt.change_contract"):
            raise PermissionDenied
        contract = get_object_or_404(Contract, pk=contract_id)
        change_url = reverse("admin:ordermgmt_contract_change", args=[contract.pk])
        label = "Release billing hold" if contract.billing_hold else "Put billing on hold"
        form = BillingHoldForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.set_billing_hold(
                    contract=contract,
                    on_hold=not contract.billing_hold,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except DomainValidationError as err:
                form.add_error("reason" if err.field == "reason" else None, err.message)
            else:
                self.message_user(request, f"{contract.reference}: {label.lower()} done.")
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "contract": contract,
            "form": form,
            "label": label,
            "title": f"{label}: {contract}",
        }
        return TemplateResponse(request, "admin/ordermgmt/contract/billing_hold.html", context)

    def transition_view(self, request, contract_id, action):
        if action not in CONTRACT_ACTIONS:
            raise PermissionDenied
        service, perm, needs_comment, label = CONTRACT_ACTIONS[action]
        if not request.user.has_perm(perm):
            raise PermissionDenied
        contract = get_object_or_404(Contract, pk=contract_id)
        change_url = reverse("admin:ordermgmt_contract_change", args=[contract.pk])
        form = ContractTransitionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            kwargs = {"contract": contract, "actor": request.user}
            if needs_comment:
                kwargs["comment"] = form.cleaned_data["comment"]
            if action == "activate":
                kwargs["confirm_catch_up"] = form.cleaned_data["confirm_catch_up"]
            try:
                result = service(**kwargs)
            except DomainValidationError as err:
                if err.field in ("comment", "confirm_catch_up"):
                    form.add_error(err.field, err.message)
                else:
                    self.message_user(request, err.message, messages.ERROR)
                    return redirect(change_url)
            else:
                status = result.get_status_display().lower()
                self.message_user(
                    request, f"{contract.reference}: {label.lower()} done; status now {status}."
                )
                return redirect(change_url)
        if request.method == "POST" and not needs_comment and not form.errors:
            return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "contract": contract,
            "form": form,
            "action": action,
            "label": label,
            "needs_comment": needs_comment,
            "title": f"{label}: {contract}",
            "activation_previews": (
                [preview(contract=contract) for preview in contract_services.ACTIVATION_PREVIEWS]
                if action == "activate"
                else []
            ),
        }
        return TemplateResponse(request, "admin/ordermgmt/contract/transition.html", context)


from ordermgmt import admin_dealdesk  # noqa: E402, F401  (registers the deal desk admin)
from ordermgmt.security import admin as security_admin  # noqa: E402, F401  (API tokens)
