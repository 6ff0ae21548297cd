"""Beat schedules for the safety nets: a delivery or a Stripe push whose task message was
lost (a broker restart) is picked up again. Editable in the admin (Periodic tasks)."""

from django.db import migrations

SCHEDULES = [
    (
        "Deliver invoices whose e-mail task was lost",
        "billing.tasks.deliver_undelivered_invoices",
        15,
    ),
    (
        "Re-queue stalled Stripe pushes",
        "integrations.stripe.tasks.requeue_stalled_stripe_pushes",
        5,
    ),
]


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULES:
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every})


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _, _ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0007_opening_balance_method"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
