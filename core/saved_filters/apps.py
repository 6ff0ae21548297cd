from django.apps import AppConfig


class SavedFiltersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core.saved_filters"
    label = "saved_filters"
    verbose_name = "Saved filters"
