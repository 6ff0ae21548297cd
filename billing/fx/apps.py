from django.apps import AppConfig


class FxConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing.fx"
    label = "fx"
    verbose_name = "FX rates (ECB)"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_beat, dispatch_uid="ledgerline_seed_fx_refresh")


def _seed_beat(sender, **kwargs) -> None:
    from billing.fx.tasks import seed_refresh_schedule

    # This app has no models, so Django sends it no post_migrate: seed after billing's.
    if sender.name == "billing":
        seed_refresh_schedule(using=kwargs.get("using", "default"))
