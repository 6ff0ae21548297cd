"""Outages and expired sessions: retried with backoff by the task, shown on the run,
nothing half-written, the watermark held until a run succeeds; one sync at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import DomainValidationError
from integrations.salesforce.models import (
    LogLevel,
    SyncLock,
    SyncLogLine,
    SyncRun,
    SyncRunStatus,
    SyncWatermark,
)
from integrations.salesforce.services import execute_sync, run_sync_now, start_sync
from integrations.salesforce.services.runs import LOCK_NAME, acquire_lock
from integrations.salesforce.tasks import MAX_RETRIES, sync_salesforce_bookings
from ordermgmt.models import Contract, Opportunity, OpportunityLine

pytestmark = pytest.mark.django_db


def on_request(sim, monkeypatch, number: int, action) -> None:
    """Do `action(sim)` just before the simulator answers API request `number` and later
    ones (the fake network misbehaves from then on)."""
    original = sim.handle

    def handle(method, raw_path, headers, body):
        if raw_path.startswith("/services/") and sim.request_count + 1 >= number:
            action(sim)
        return original(method, raw_path, headers, body)

    monkeypatch.setattr(sim, "handle", handle)


@pytest.fixture(autouse=True)
def eager_retries(monkeypatch):
    """Celery re-applies an eagerly run task on retry only when errors don't propagate."""
    monkeypatch.setitem(sync_salesforce_bookings.app.conf, "task_eager_propagates", False)


def run_task(run: SyncRun) -> SyncRun:
    """The Celery task, executed in this process: retries run at once, without waiting."""
    sync_salesforce_bookings.apply(kwargs={"run_id": run.pk})
    run.refresh_from_db()
    return run


def test_an_outage_is_retried_and_the_run_then_succeeds(sf_settings, sf_sim, sf_bookings):
    opportunity_id = sf_bookings.deal()
    sf_sim.fail_next(2, 503)
    run = SyncRun.objects.create()

    run = run_task(run)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.attempts == 3
    errors = SyncLogLine.objects.filter(run=run, level=LogLevel.ERROR)
    assert [line.code for line in errors] == ["SERVER_UNAVAILABLE", "SERVER_UNAVAILABLE"]
    assert "Retrying" in errors.first().message
    assert Contract.objects.filter(opportunity__salesforce_id=opportunity_id).count() == 1


def test_an_outage_shows_the_run_as_retrying_with_the_error(sf_settings, sf_sim, sf_bookings):
    sf_bookings.deal()
    sf_sim.fail_next(1, 503)
    run = SyncRun.objects.create()

    with pytest.raises(Exception) as raised:
        execute_sync(run=run, final_attempt=False)

    assert type(raised.value).__name__ == "SalesforceUnavailable"
    run.refresh_from_db()
    assert run.status == SyncRunStatus.RETRYING
    assert "503" in run.error and "Retrying" in run.error
    assert run.finished_at is None


def test_a_permanent_outage_leaves_whole_bookings_only_and_the_watermark_unchanged(
    sf_settings, sf_sim, monkeypatch
):
    sf_sim.batch_size = 3
    sf_sim.seed(accounts=4, opportunities=16, seed=4)
    # The preflight (five describes, the org's currency), five "newest SystemModstamp"
    # reads, the first page of bookings, then the outage.
    on_request(sf_sim, monkeypatch, 6 + 7, lambda sim: sim.fail_next(1, 503))
    run = SyncRun.objects.create()

    run = run_task(run)

    assert run.status == SyncRunStatus.FAILED
    assert run.attempts == MAX_RETRIES + 1
    assert "503" in run.error
    assert not SyncWatermark.objects.exists()
    written = Opportunity.objects.all()
    assert written.count() == 3  # the first page, complete
    for opportunity in written:
        sf_lines = [
            line
            for line in sf_sim.store.all("OpportunityLineItem")
            if line["OpportunityId"] == opportunity.salesforce_id
        ]
        assert OpportunityLine.objects.filter(opportunity=opportunity).count() == len(sf_lines)
        contract = Contract.objects.get(opportunity=opportunity)
        assert contract.lines.count() == len(sf_lines)

    monkeypatch.undo()
    sf_sim.clear_faults()
    again = run_sync_now()

    won = [o for o in sf_sim.store.all("Opportunity") if o["StageName"] == "Closed Won"]
    assert again.status == SyncRunStatus.SUCCEEDED
    assert Opportunity.objects.count() == len(won)
    assert Contract.objects.count() == len(won)  # no second contract for the first page
    assert SyncWatermark.objects.filter(sf_object="Opportunity").exists()


def test_a_failed_incremental_run_keeps_the_previous_watermark(
    sf_settings, sf_sim, sf_bookings, monkeypatch
):
    opportunity_id = sf_bookings.deal()
    run_sync_now()
    before = dict(SyncWatermark.objects.values_list("sf_object", "system_modstamp"))
    sf_bookings.store.update("Opportunity", opportunity_id, {"PO_Number__c": "PO-2"})
    sf_sim.fail_next(100, 503)

    failed = run_sync_now()

    assert failed.status == SyncRunStatus.FAILED
    assert dict(SyncWatermark.objects.values_list("sf_object", "system_modstamp")) == before
    sf_sim.clear_faults()
    assert run_sync_now().fetched == 1


def test_an_expired_session_logs_in_again_with_password_auth(
    sf_password_settings, sf_sim, sf_bookings, monkeypatch
):
    sf_bookings.deal()
    expired = []

    def expire_once(sim):
        if not expired:
            expired.append(True)
            sim.expire_sessions()

    on_request(sf_sim, monkeypatch, 3, expire_once)

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    logins = [r for r in sf_sim.request_log if "/Soap/" in r["path"]]
    assert len(logins) == 2
    assert Contract.objects.count() == 1


def test_an_expired_session_id_is_retried_then_fails_saying_what_to_do(
    sf_settings, sf_sim, sf_bookings
):
    sf_bookings.deal()
    sf_sim.expire_sessions()
    run = SyncRun.objects.create()

    run = run_task(run)

    assert run.status == SyncRunStatus.FAILED
    assert run.attempts == MAX_RETRIES + 1
    assert "SALESFORCE_SESSION_ID" in run.error
    retrying = SyncLogLine.objects.filter(run=run, code="INVALID_SESSION_ID")
    assert retrying.count() == MAX_RETRIES + 1


def test_a_refused_query_fails_at_once_without_retrying(sf_settings, sf_sim, sf_bookings):
    sf_bookings.deal()
    sf_sim.fail_next(1, 400, error_code="INVALID_FIELD", message="No such column")
    run = SyncRun.objects.create()

    run = run_task(run)

    assert (run.status, run.attempts) == (SyncRunStatus.FAILED, 1)
    assert "INVALID_FIELD" in run.error


def test_a_run_finds_the_lock_taken_and_does_nothing(sf_settings, sf_bookings):
    sf_bookings.deal()
    holder = SyncRun.objects.create(status=SyncRunStatus.RUNNING, heartbeat_at=timezone.now())
    assert acquire_lock(holder) is None
    second = SyncRun.objects.create()

    second = execute_sync(run=second)

    assert second.status == SyncRunStatus.SKIPPED
    assert f"#{holder.pk}" in second.error
    assert not Opportunity.objects.exists()


def test_an_expired_lease_is_taken_over_and_the_dead_run_marked_failed(sf_settings, sf_bookings):
    sf_bookings.deal()
    dead = SyncRun.objects.create(
        status=SyncRunStatus.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=2)
    )
    SyncLock.objects.update_or_create(
        name=LOCK_NAME, defaults={"run": dead, "expires_at": timezone.now() - timedelta(hours=1)}
    )

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED
    dead.refresh_from_db()
    assert dead.status == SyncRunStatus.FAILED
    assert SyncLock.objects.get(name=LOCK_NAME).run is None


def test_sync_now_is_refused_while_a_run_is_under_way(sf_settings, specialist):
    SyncRun.objects.create(status=SyncRunStatus.RUNNING, heartbeat_at=timezone.now())

    with pytest.raises(DomainValidationError) as err:
        start_sync(actor=specialist)

    assert err.value.code == "sync_already_running"


def test_sync_now_is_refused_when_salesforce_is_not_configured(settings, specialist):
    settings.SALESFORCE_INSTANCE_URL = ""
    settings.SALESFORCE_SESSION_ID = ""
    settings.SALESFORCE_USERNAME = ""

    with pytest.raises(DomainValidationError) as err:
        start_sync(actor=specialist)

    assert err.value.code == "salesforce_not_configured"


def test_salesforce_unreachable_is_retryable(sf_settings, sf_sim, sf_bookings):
    sf_bookings.deal()
    sf_sim.stop()
    run = SyncRun.objects.create()

    with pytest.raises(Exception) as raised:
        execute_sync(run=run, final_attempt=False)

    assert type(raised.value).__name__ == "SalesforceUnavailable"
    run.refresh_from_db()
    assert run.status == SyncRunStatus.RETRYING
    assert "connect" in run.error


def test_a_slow_answer_times_out_and_is_retryable(sf_settings, sf_sim, sf_bookings):
    sf_bookings.deal()
    sf_settings.SALESFORCE_TIMEOUT = 0.3
    sf_sim.fail_next(1, 503, delay=1.0)
    run = SyncRun.objects.create()

    with pytest.raises(Exception) as raised:
        execute_sync(run=run, final_attempt=False)

    assert type(raised.value).__name__ == "SalesforceUnavailable"
    run.refresh_from_db()
    assert "in time" in run.error


def test_an_untrusted_certificate_fails_at_once_naming_the_setting(sf_settings, sf_bookings):
    sf_bookings.deal()
    sf_settings.SALESFORCE_CA_BUNDLE = ""  # the simulator's self-signed certificate
    run = SyncRun.objects.create()

    run = run_task(run)

    assert (run.status, run.attempts) == (SyncRunStatus.FAILED, 1)
    assert "SALESFORCE_CA_BUNDLE" in run.error
