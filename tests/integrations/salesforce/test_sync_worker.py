"""The sync task end to end on a real Celery worker, through Redis, against the simulator:
"Sync now" queues the run, the worker retries an outage with backoff and drafts the
contract."""

from __future__ import annotations

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from integrations.salesforce.models import SyncLogLine, SyncRun, SyncRunStatus
from integrations.salesforce.services import start_sync
from ordermgmt.models import Contract
from tests.factories import UserFactory


@pytest.fixture
def celery_on_redis(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no broker for a real worker")
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", settings.REDIS_URL)
    app.control.purge()  # nothing left over from an earlier run on this Redis db
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield app


def wait_for(run: SyncRun, seconds: float = 60) -> SyncRun:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in (SyncRunStatus.SUCCEEDED, SyncRunStatus.FAILED, SyncRunStatus.SKIPPED):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run.pk} still {run.status} after {seconds} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_runs_the_sync_and_retries_an_outage(
    sf_settings, sf_sim, sf_bookings, celery_on_redis
):
    opportunity_id = sf_bookings.deal()
    sf_sim.fail_next(1, 503)
    specialist = UserFactory(role="Order Specialist")

    run = wait_for(start_sync(actor=specialist))

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert run.attempts == 2
    assert SyncLogLine.objects.filter(run=run, code="SERVER_UNAVAILABLE").count() == 1
    contract = Contract.objects.get(opportunity__salesforce_id=opportunity_id)
    assert contract.status == "draft"
    assert run.contracts_created == 1
