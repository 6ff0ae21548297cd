from django.apps import AppConfig


class BankConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.bank"
    label = "bank"
    verbose_name = "Bank statements and cash matching"
