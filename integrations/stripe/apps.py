from django.apps import AppConfig


class StripeBillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations.stripe"
    label = "stripe_billing"
    verbose_name = "Stripe"
