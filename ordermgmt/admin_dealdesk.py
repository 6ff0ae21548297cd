"""Admin for deal desk: Admins edit the rules here; reviews are read-only records
(decisions are taken on the deal desk pages, the contract's buttons or the API)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from core.admin_history import GuardedHistoryAdmin
from ordermgmt.models import DealDeskDecision, DealDeskFlag, DealDeskReview, DealDeskRule


@admin.register(DealDeskRule)
class DealDeskRuleAdmin(GuardedHistoryAdmin):
    list_display = [
        "name",
        "rule_type",
        "active",
        "severity",
        "parameters",
        "required_approvals",
        "sla_hours",
        "updated_at",
    ]
    list_filter = ["active", "rule_type", "severity"]
    search_fields = ["name", "description"]
    fieldsets = [
        (None, {"fields": ["name", "rule_type", "description", "active", "severity"]}),
        (
            "Parameters",
            {
                "fields": [
                    ("threshold", "threshold_currency"),
                    "allowed_values",
                    "fx_rates",
                ],
                "description": "What each rule type reads: payment terms, discounts, term "
                "and contract value use the threshold; billing frequency and currency the "
                "allowed values; contract value also the FX rates.",
            },
        ),
        ("Review", {"fields": ["required_approvals", "sla_hours"]}),
    ]

    @admin.display(description="Flags")
    def parameters(self, rule: DealDeskRule) -> str:
        return rule.parameters_label

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: past flags point at the rule


class DealDeskFlagInline(admin.TabularInline):
    model = DealDeskFlag
    extra = 0
    fields = ["rule_type", "severity", "line_number", "reason", "consequence"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class DealDeskDecisionInline(admin.TabularInline):
    model = DealDeskDecision
    extra = 0
    fields = ["kind", "actor", "comment", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DealDeskReview)
class DealDeskReviewAdmin(GuardedHistoryAdmin):
    list_display = [
        "id",
        "contract",
        "status",
        "trigger",
        "opened_at",
        "sla_due_at",
        "required_approvals",
        "tcv_amount",
        "currency",
        "dashboard",
    ]
    list_filter = ["status", "trigger", "currency"]
    search_fields = ["contract__name", "contract__account__legal_name"]
    list_select_related = ["contract"]
    readonly_fields = [
        "contract",
        "status",
        "trigger",
        "submitted_by",
        "opened_at",
        "sla_due_at",
        "decided_at",
        "required_approvals",
        "currency",
        "tcv_amount",
        "acv_amount",
    ]
    inlines = [DealDeskFlagInline, DealDeskDecisionInline]

    @admin.display(description="Deal desk page")
    def dashboard(self, review: DealDeskReview) -> str:
        return format_html('<a href="{}">Open</a>', reverse("dealdesk:review", args=[review.pk]))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
