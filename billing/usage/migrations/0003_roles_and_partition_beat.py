from django.db import migrations

TASK = "billing.usage.tasks.ensure_usage_partitions"
NAME = "Usage: make monthly partitions ahead"


def grant_usage(apps, schema_editor):
    from ordermgmt.roles import USAGE_PERMISSIONS, grant

    grant(apps, USAGE_PERMISSIONS)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="2", day_of_week="*", day_of_month="*", month_of_year="*"
    )
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "crontab": daily})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0002_partitioned_usage_events"),
        ("ordermgmt", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant_usage, remove_schedule)]
