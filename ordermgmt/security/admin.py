"""API tokens in the admin: who holds one, since when, until when; an Admin revokes
(deletes) one. Neither the token nor its digest is shown, and none is issued here: a
user issues their own on the API tokens page, an operator with `manage.py
issue_api_token`."""

from django.contrib import admin
from knox.models import AuthToken

if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)  # knox's admin lists digests and issues tokens


@admin.register(AuthToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["token_key", "user", "created", "expiry"]
    list_filter = ["expiry"]
    search_fields = ["user__username", "token_key"]
    fields = ["token_key", "user", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
