from django.apps import AppConfig


class WriteOffsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.writeoffs"
    label = "writeoffs"
    verbose_name = "Write-offs"
