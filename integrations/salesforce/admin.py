"""Admin pages for the sync's records: read-only except through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from core.errors import DomainValidationError

from . import services
from .models import (
    Resolution,
    SyncedRecord,
    SyncIssue,
    SyncLock,
    SyncLogLine,
    SyncRun,
    SyncWatermark,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Written by the sync; people look, and act through the pages' buttons."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SyncLogLineInline(admin.TabularInline):
    model = SyncLogLine
    extra = 0
    can_delete = False
    fields = ["at", "level", "sf_object", "sf_id", "code", "message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "status",
        "trigger",
        "requested_by",
        "created_at",
        "finished_at",
        "fetched",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "errors",
        "conflicts",
        "flagged",
        "contracts_created",
        "page_link",
    ]
    list_filter = ["status", "trigger"]
    date_hierarchy = "created_at"
    inlines = [SyncLogLineInline]

    @admin.display(description="Page")
    def page_link(self, obj):
        return format_html(
            '<a href="{}">progress and log</a>',
            reverse("salesforce_sync:run_detail", args=[obj.pk]),
        )


@admin.register(SyncIssue)
class SyncIssueAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "sf_object",
        "sf_id",
        "field",
        "code",
        "account",
        "contract",
        "last_seen_at",
        "occurrences",
        "resolution",
    ]
    list_filter = ["status", "kind", "sf_object", "resolution"]
    search_fields = ["sf_id", "code", "field"]
    raw_id_fields = ["account", "opportunity", "contract"]
    actions = ["acknowledge", "keep_local", "take_salesforce"]

    def has_resolve_permission(self, request):
        return request.user.has_perm("salesforce_sync.resolve_syncissue")

    def _resolve(self, request, queryset, resolution: str):
        done = 0
        for issue in queryset:
            try:
                services.resolve_sync_issue(issue=issue, resolution=resolution, actor=request.user)
            except DomainValidationError as err:
                self.message_user(request, f"Issue #{issue.pk}: {err.message}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} issue(s) resolved.", messages.SUCCESS)

    @admin.action(
        description="Acknowledge (bad records, lost or deleted deals)", permissions=["resolve"]
    )
    def acknowledge(self, request, queryset):
        self._resolve(request, queryset, Resolution.ACKNOWLEDGED)

    @admin.action(description="Conflicts: keep the local value", permissions=["resolve"])
    def keep_local(self, request, queryset):
        self._resolve(request, queryset, Resolution.KEEP_LOCAL)

    @admin.action(description="Conflicts: take the Salesforce value", permissions=["resolve"])
    def take_salesforce(self, request, queryset):
        self._resolve(request, queryset, Resolution.TAKE_SALESFORCE)


@admin.register(SyncedRecord)
class SyncedRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "sf_object",
        "sf_id",
        "local_id",
        "system_modstamp",
        "closed_won",
        "contract",
        "contract_pending",
        "deleted_in_salesforce",
        "synced_at",
    ]
    list_filter = ["sf_object", "closed_won", "contract_pending", "deleted_in_salesforce"]
    search_fields = ["sf_id"]
    raw_id_fields = ["contract", "last_run"]


@admin.register(SyncWatermark)
class SyncWatermarkAdmin(ReadOnlyAdmin):
    list_display = ["sf_object", "system_modstamp", "run", "updated_at"]


@admin.register(SyncLock)
class SyncLockAdmin(ReadOnlyAdmin):
    list_display = ["name", "run", "expires_at"]
