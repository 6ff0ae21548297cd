"""The daily run: its beat schedule, parallel runs, and a real Celery worker on Redis
given the same run twice. Each step is sent once, whatever happens."""

import threading
import time
import uuid
from datetime import date

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django_celery_beat.models import PeriodicTask

from collections_app.dunning.defaults import PERIODIC_TASK, PERIODIC_TASK_NAME
from collections_app.models import DunningPolicy, DunningReminder
from collections_app.services import send_due_reminders
from collections_app.tasks import send_dunning_reminders
from config.celery import app as celery_app
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)

pytestmark = pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")

DUE = date(2026, 3, 10)


class SlowBackend(LocmemBackend):
    """A mail server that takes its time, so that parallel runs really overlap."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)


@pytest.mark.django_db
def test_the_daily_run_is_scheduled_in_django_celery_beat_at_six_utc():
    task = PeriodicTask.objects.select_related("crontab").get(name=PERIODIC_TASK_NAME)
    assert task.task == PERIODIC_TASK == "collections_app.tasks.send_dunning_reminders"
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "6", "*")
    assert (crontab.day_of_month, crontab.month_of_year) == ("*", "*")
    assert str(crontab.timezone) == "UTC"
    assert task.interval is None


@pytest.mark.django_db
def test_the_default_policy_is_seeded_with_the_standard_b2b_schedule():
    policy = DunningPolicy.objects.get(is_default=True)
    steps = [(s.offset_days, s.action) for s in policy.steps.order_by("offset_days")]
    assert steps == [
        (-7, "email"),
        (0, "email"),
        (3, "email"),
        (7, "email"),
        (14, "email"),
        (30, "email"),
        (35, "call"),
    ]
    assert policy.min_contact_days == 3 and policy.active


@pytest.mark.django_db
def test_the_task_runs_the_service_for_the_day_it_is_given():
    issued_invoice(due=DUE)
    result = send_dunning_reminders.apply(kwargs={"as_of": "2026-03-03"}).get()
    assert result["emailed"] == 1 and result["as_of"] == "2026-03-03"
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_time_send_one_email_per_step(settings):
    settings.EMAIL_BACKEND = "tests.collections.test_dunning_runs.SlowBackend"
    invoice = issued_invoice(due=DUE)
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait(timeout=10)
            results.append(send_due_reminders(as_of=date(2026, 3, 13)))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 1
    assert sorted(r.emailed for r in results) == [0, 1]
    assert DunningReminder.objects.filter(invoice=invoice).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_runs_keep_the_minimum_contact_delay_across_invoices(settings):
    settings.EMAIL_BACKEND = "tests.collections.test_dunning_runs.SlowBackend"
    account = customer()
    issued_invoice(due=DUE, account=account)
    issued_invoice(due=DUE, account=account, total="2000.00")
    start = threading.Barrier(2)

    def run():
        try:
            start.wait(timeout=10)
            send_due_reminders(as_of=date(2026, 3, 13))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(mail.outbox) == 1  # one reminder to the account, the other waits 3 days
    assert DunningReminder.objects.filter(account=account).count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_given_the_daily_run_twice_sends_one_reminder_per_step(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: a real Redis broker")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    first = issued_invoice(due=DUE)
    second = issued_invoice(due=date(2026, 3, 3))
    # A queue of its own: messages other tests left in the default queue stay out of it.
    queue = f"test-dunning-{uuid.uuid4().hex}"
    finished: list[str] = []
    both_done = threading.Event()

    def on_postrun(sender=None, task_id=None, **kwargs):
        if sender.name == send_dunning_reminders.name:
            finished.append(task_id)
            if len(finished) == 2:
                both_done.set()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=30
        ):
            sent = [
                send_dunning_reminders.apply_async(kwargs={"as_of": "2026-03-13"}, queue=queue)
                for _ in range(2)
            ]
            assert both_done.wait(timeout=60), "the worker did not run both messages"
    finally:
        task_postrun.disconnect(on_postrun)
        # The worker narrowed the app's queues to ours; give later workers the defaults.
        celery_app.amqp.queues = celery_app.conf.task_queues
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)

    assert sorted(finished) == sorted(result.id for result in sent)
    assert len(mail.outbox) == 2  # one per invoice: +3 and +10
    assert DunningReminder.objects.filter(invoice=first).count() == 1
    assert DunningReminder.objects.filter(invoice=second).count() == 1
