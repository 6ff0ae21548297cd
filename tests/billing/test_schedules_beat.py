import pytest
from django_celery_beat.models import PeriodicTask

from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("task", "minutes"),
    [
        ("billing.tasks.deliver_undelivered_invoices", 15),
        ("integrations.stripe.tasks.requeue_stalled_stripe_pushes", 5),
        ("billing.tasks.resume_stalled_billing_runs", 5),
    ],
)
def test_safety_nets_are_scheduled_in_celery_beat_and_registered(task, minutes):
    periodic = PeriodicTask.objects.get(task=task)
    assert periodic.enabled and periodic.interval.every == minutes
    app.loader.import_default_modules()
    assert task in app.tasks
