from django.db import migrations

SCHEDULES = [
    ("Usage: make monthly partitions ahead", "billing.usage.tasks.ensure_usage_partitions", "2"),
    (
        "Usage: close ended commitments and send balance alerts",
        "billing.usage.tasks.close_commitments_and_alert",
        "3",
    ),
]


def grant_usage(apps, schema_editor):
    from ordermgmt.roles import USAGE_PERMISSIONS, grant

    grant(apps, USAGE_PERMISSIONS)
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, hour in SCHEDULES:
        daily, _ = CrontabSchedule.objects.get_or_create(
            minute="15", hour=hour, day_of_week="*", day_of_month="*", month_of_year="*"
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": daily})


def remove_schedule(apps, schema_editor):
    names = [name for name, _, _ in SCHEDULES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("usage", "0002_partitioned_usage_events"),
        ("ordermgmt", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(grant_usage, remove_schedule)]
