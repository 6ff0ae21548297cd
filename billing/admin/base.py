"""What every billing admin shares."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """Records written only by services: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
