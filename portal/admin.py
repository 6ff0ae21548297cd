from django.contrib import admin

from portal.models import PortalActivity, PortalLink


@admin.register(PortalActivity)
class PortalActivityAdmin(admin.ModelAdmin):
    """What customers did in the portal: read-only, it is the audit trail."""

    list_display = ["at", "account", "contact", "action", "document", "ip_address"]
    list_filter = ["action"]
    search_fields = ["account__name", "contact__email", "document"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PortalLink)
class PortalLinkAdmin(admin.ModelAdmin):
    """Links sent, without their tokens (only a hash is stored); revoke by deleting."""

    list_display = ["contact", "created_at", "expires_at", "used_at"]
    fields = ["contact", "created_at", "expires_at", "used_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
