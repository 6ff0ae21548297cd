"""Role permissions for the sync, its periodic task (every 15 minutes, editable in the
admin under Periodic tasks) and the lock row."""

from django.db import migrations

TASK_NAME = "Salesforce booking sync"
TASK = "integrations.salesforce.tasks.sync_salesforce_bookings"


def forwards(apps, schema_editor):
    from ordermgmt.roles import SALESFORCE_PERMISSIONS, grant

    grant(apps, SALESFORCE_PERMISSIONS)

    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": interval,
            "enabled": True,
            "description": (
                "Reads Closed Won opportunities changed in Salesforce since the last "
                "successful run and drafts their contracts. Does nothing while Salesforce "
                "is not configured or another sync runs."
            ),
        },
    )
    SyncLock = apps.get_model("salesforce_sync", "SyncLock")
    SyncLock.objects.get_or_create(name="salesforce-bookings")


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("salesforce_sync", "0001_initial"),
        ("ordermgmt", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
