from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "collections_app"
    verbose_name = "Collections"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed_dunning, dispatch_uid="ledgerline_seed_dunning")


def _seed_dunning(sender, **kwargs) -> None:
    # Migration 0003 seeds the default policy and the daily beat task; a test flush
    # empties every table, so put them back when there is no policy at all (see
    # collections_app/dunning/defaults.py).
    from django.db import connections
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    from collections_app.dunning.defaults import seed_beat_schedule, seed_default_policy
    from collections_app.models import DunningPolicy, DunningStep

    if sender.name != "collections_app":
        return
    connection = connections[kwargs.get("using", "default")]
    tables = connection.introspection.table_names()
    if DunningPolicy._meta.db_table not in tables or PeriodicTask._meta.db_table not in tables:
        return
    if DunningPolicy.objects.exists():
        return
    seed_default_policy(DunningPolicy, DunningStep)
    seed_beat_schedule(CrontabSchedule, PeriodicTask)
