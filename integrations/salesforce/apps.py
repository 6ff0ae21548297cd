from django.apps import AppConfig


class SalesforceSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations.salesforce"
    label = "salesforce_sync"
    verbose_name = "Salesforce sync"
