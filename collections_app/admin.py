"""Admin for collections: dunning policies with their steps (e-mail wording edited here),
per-account dunning settings, and read-only records of reminders and activities (those
are written by the dunning run and the collections pages, through the services), and of
report exports (who exported what, and the background export jobs)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join

from collections_app.dunning.emails import PLACEHOLDERS, SAMPLE_CONTEXT, render_subject
from collections_app.models import (
    AccountDunning,
    CollectionActivity,
    DunningAction,
    DunningPolicy,
    DunningReminder,
    DunningStep,
    ExportJob,
    ExportLog,
)
from core.admin_history import GuardedHistoryAdmin
from core.audit import audit_next_save


class DunningStepFormSet(forms.BaseInlineFormSet):
    """The call step, if any, is the policy's last step: it ends the e-mail sequence."""

    def clean(self):
        super().clean()
        steps = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        calls = [s for s in steps if s.get("action") == DunningAction.CALL]
        if len(calls) > 1:
            raise ValidationError("A policy has at most one call step.")
        offsets = [s["offset_days"] for s in steps if s.get("offset_days") is not None]
        if calls and offsets and calls[0]["offset_days"] != max(offsets):
            raise ValidationError("The call step must come last (the largest offset).")
        if len(offsets) != len(set(offsets)):
            raise ValidationError("Two steps cannot have the same offset.")


class DunningStepInline(admin.StackedInline):
    model = DunningStep
    formset = DunningStepFormSet
    extra = 0
    ordering = ["offset_days"]
    fields = [("offset_days", "action", "name"), "subject_template", "body_template", "preview"]
    readonly_fields = ["preview"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        help_text = format_html(
            "Django template. Placeholders: {}",
            format_html_join(", ", "<code>{{{{ {} }}}}</code>", ((n,) for n in PLACEHOLDERS)),
        )
        for name in ("subject_template", "body_template"):
            formset.form.base_fields[name].help_text = help_text
        formset.form.base_fields["body_template"].widget = forms.Textarea(
            attrs={"rows": 8, "cols": 90}
        )
        return formset

    @admin.display(description="Subject with sample values")
    def preview(self, step: DunningStep) -> str:
        if not step.pk or step.action != DunningAction.EMAIL:
            return "—"
        try:
            return render_subject(step.subject_template, SAMPLE_CONTEXT)
        except Exception:
            return "(does not render)"


@admin.register(DunningPolicy)
class DunningPolicyAdmin(GuardedHistoryAdmin):
    list_display = ["name", "is_default", "active", "min_contact_days", "schedule"]
    list_filter = ["is_default", "active"]
    search_fields = ["name"]
    inlines = [DunningStepInline]
    fields = [
        "name",
        "description",
        ("is_default", "active"),
        "min_contact_days",
        "per_customer",
    ]

    @admin.display(description="Steps (days from due date)")
    def schedule(self, policy: DunningPolicy) -> str:
        return ", ".join(
            f"call {s.offset_days:+d}" if s.action == DunningAction.CALL else f"{s.offset_days:+d}"
            for s in policy.steps.all()
        )

    def has_delete_permission(self, request, obj=None):
        # A policy's steps are referenced by the reminders sent; deactivate it instead.
        return False


@admin.register(AccountDunning)
class AccountDunningAdmin(GuardedHistoryAdmin):
    list_display = ["account", "policy_name", "excluded", "paused", "pause_reason", "updated_at"]
    list_filter = ["excluded", "paused", "policy"]
    search_fields = ["account__legal_name"]
    autocomplete_fields = ["account"]
    fields = [
        "account",
        "policy",
        "excluded",
        "monthly_statement",
        "paused",
        "pause_reason",
        "paused_at",
        "paused_by",
    ]
    readonly_fields = ["paused", "pause_reason", "paused_at", "paused_by"]

    @admin.display(description="Policy")
    def policy_name(self, setting: AccountDunning) -> str:
        return str(setting.policy) if setting.policy_id else "Default"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["account"] if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "policy":
            kwargs["queryset"] = DunningPolicy.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        what = "excluded" if obj.excluded else f"policy {obj.policy or 'default'}"
        audit_next_save(obj, actor=request.user, reason=f"dunning.settings: {what}")
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DunningReminder)
class DunningReminderAdmin(admin.ModelAdmin):
    list_display = ["sent_at", "invoice", "account", "action", "offset_days", "run_date"]
    list_filter = ["action", "run_date"]
    search_fields = ["invoice__number", "account__legal_name"]
    date_hierarchy = "run_date"
    list_select_related = ["invoice", "account"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CollectionActivity)
class CollectionActivityAdmin(GuardedHistoryAdmin):
    """Read-only here: notes, promises and disputes are worked on the collections pages."""

    list_display = ["created_at", "account", "invoice", "kind", "status", "amount", "owner"]
    list_filter = ["kind", "status", "dispute_reason", "resolution"]
    search_fields = ["account__legal_name", "invoice__number", "body"]
    list_select_related = ["account", "invoice", "owner"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(_ReadOnly, admin.ModelAdmin):
    """The audit trail of finance exports: who, which report, which parameters, rows."""

    list_display = ["exported_at", "user", "report", "file_format", "row_count"]
    list_filter = ["report", "file_format", "exported_at"]
    search_fields = ["user__username", "report"]
    date_hierarchy = "exported_at"
    list_select_related = ["user"]


@admin.register(ExportJob)
class ExportJobAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["created_at", "user", "report", "file_format", "status", "rows_done"]
    list_filter = ["status", "report", "file_format"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    exclude = ["attempt"]
