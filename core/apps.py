from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared core has no models; as an app it finishes the admin once every app's
    admin is registered (the admin's own ready() runs first: it is listed first)."""

    name = "core"
    label = "core"

    def ready(self) -> None:
        from django.contrib import admin

        from core.admin_money import format_money_in_admins

        format_money_in_admins(admin.site)
