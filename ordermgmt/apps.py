from django.apps import AppConfig


class OrderManagementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ordermgmt"
    verbose_name = "Order management"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_sync_roles, dispatch_uid="ledgerline_sync_roles")


def _sync_roles(sender, **kwargs) -> None:
    # Runs after every migrate and after a test flush (which empties auth tables), so
    # the role groups always hold what ordermgmt.roles declares, and Admin holds all.
    from ordermgmt.roles import sync_roles

    sync_roles()
