"""The monthly statements task in django-celery-beat: the 1st of each month, 07:00 UTC
(editable in the admin)."""

from django.db import migrations

NAME = "Monthly statements of account"
CRONTAB = {
    "minute": "0",
    "hour": "7",
    "day_of_month": "1",
    "month_of_year": "*",
    "day_of_week": "*",
}


def seed(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    crontab = CrontabSchedule.objects.filter(**CRONTAB, timezone="UTC").first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**CRONTAB, timezone="UTC")
    PeriodicTask.objects.create(
        name=NAME,
        task="collections_app.tasks.send_monthly_statements",
        crontab=crontab,
        enabled=True,
        description="E-mails last month's statement of account to each account that asks "
        "for it. Safe to run again: a month's statement is sent once.",
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("collections_app", "0105_statements_by_email"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, remove)]
