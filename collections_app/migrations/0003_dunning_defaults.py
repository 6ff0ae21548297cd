"""Dunning defaults: the Standard B2B policy (-7, 0, +3, +7, +14, +30, then a call), the
daily beat task at 06:00 UTC in django-celery-beat, and the role permissions."""

from django.db import migrations


def seed_policy(apps, schema_editor):
    from collections_app.dunning.defaults import seed_default_policy

    seed_default_policy(
        apps.get_model("collections_app", "DunningPolicy"),
        apps.get_model("collections_app", "DunningStep"),
    )


def seed_schedule(apps, schema_editor):
    from collections_app.dunning.defaults import seed_beat_schedule

    seed_beat_schedule(
        apps.get_model("django_celery_beat", "CrontabSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTask"),
    )


def remove_schedule(apps, schema_editor):
    from collections_app.dunning.defaults import PERIODIC_TASK_NAME

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=PERIODIC_TASK_NAME
    ).delete()


def grant_permissions(apps, schema_editor):
    from ordermgmt.roles import COLLECTIONS_PERMISSIONS, grant

    grant(apps, COLLECTIONS_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0002_dunning"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(seed_policy, migrations.RunPython.noop),
        migrations.RunPython(seed_schedule, remove_schedule),
        migrations.RunPython(grant_permissions, migrations.RunPython.noop),
    ]
