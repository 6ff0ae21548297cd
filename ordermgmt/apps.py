from django.apps import AppConfig


class OrderManagementConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ordermgmt"
    verbose_name = "Order management"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from ordermgmt.security import middleware  # noqa: F401  (starts the session clock)

        post_migrate.connect(_sync_roles, dispatch_uid="ledgerline_sync_roles")
        post_migrate.connect(_seed_deal_desk_rules, dispatch_uid="ledgerline_deal_desk_rules")


def _sync_roles(sender, **kwargs) -> None:
    # Runs after every migrate and after a test flush (which empties auth tables), so
    # the role groups always hold what ordermgmt.roles declares, and Admin holds all.
    from ordermgmt.roles import sync_roles

    sync_roles()


def _seed_deal_desk_rules(sender, **kwargs) -> None:
    # A test flush empties every table, the migration's default rules included; rules
    # are deactivated, never deleted, so an empty table means a fresh database.
    from django.db import connections

    from ordermgmt.dealdesk.defaults import seed_default_rules
    from ordermgmt.models import DealDeskRule

    if sender.name != "ordermgmt":
        return
    connection = connections[kwargs.get("using", "default")]
    if DealDeskRule._meta.db_table in connection.introspection.table_names():
        seed_default_rules(DealDeskRule)
