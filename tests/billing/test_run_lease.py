"""A billing run's lease: a task delivered twice, a run whose worker died, resuming it.
The real-process crash tests (SIGKILL of a worker on Redis) are in test_run_crash_worker.py.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import BillingRun, BillingRunStatus, Invoice, ScheduleLineStatus
from billing.services import execute_billing_run, queue_billing_run
from billing.services.run_lease import (
    RunBusy,
    RunSuperseded,
    claim_run,
    resume_billing_run,
)
from billing.services.runs import bill_chunk
from billing.tasks import resume_stalled_billing_runs
from core.errors import DomainValidationError
from ordermgmt import roles
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db


def queued(run_date=date(2026, 1, 1)) -> BillingRun:
    return BillingRun.objects.get(pk=queue_billing_run(run_date=run_date, actor=None).pk)


def age_heartbeat(run: BillingRun, seconds: int = 3600) -> None:
    BillingRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_completed_run_delivered_again_keeps_its_summary():
    active_contract()
    run = execute_billing_run(run=queued())
    summary = run.totals
    assert summary["by_currency"]["USD"]["invoices"] == 1

    again = execute_billing_run(run=BillingRun.objects.get(pk=run.pk))

    assert again.totals == summary and again.invoices_created == 1
    assert again.attempts == 1
    assert Invoice.objects.count() == 1


def test_a_run_held_by_a_live_attempt_is_not_run_a_second_time_at_once():
    active_contract()
    run = queued()
    claim_run(run=run)

    with pytest.raises(RunBusy) as busy:
        execute_billing_run(run=run)

    assert 0 < busy.value.retry_in <= 601
    assert Invoice.objects.count() == 0
    assert BillingRun.objects.get(pk=run.pk).attempts == 1


def test_a_run_whose_worker_died_is_taken_over_and_bills_only_what_is_pending(settings):
    settings.LEDGERLINE_BILLING_CHUNK_SIZE = 1
    first, second = active_contract(), active_contract()
    run = queued()
    dead_attempt = claim_run(run=run)
    bill_chunk(run, [first.pk], attempt=dead_attempt)
    age_heartbeat(run)  # the worker was killed here: no heartbeat since

    done = execute_billing_run(run=BillingRun.objects.get(pk=run.pk))

    assert done.status == BillingRunStatus.COMPLETED and done.attempts == 2
    assert sorted(Invoice.objects.values_list("contract_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert done.invoices_created == 2
    assert done.totals["by_currency"]["USD"]["invoices"] == 2  # both attempts counted


def test_an_attempt_that_was_taken_over_writes_nothing_more():
    contract = active_contract()
    run = queued()
    slow_attempt = claim_run(run=run)
    age_heartbeat(run)
    claim_run(run=run)  # a redelivery took the stalled run over

    with pytest.raises(RunSuperseded):
        bill_chunk(run, [contract.pk], attempt=slow_attempt)

    assert Invoice.objects.count() == 0
    assert contract.schedule_lines.filter(status=ScheduleLineStatus.PENDING).exists()


def test_the_safety_net_resumes_a_stalled_run_and_leaves_live_ones_alone():
    stalled_contract = active_contract()
    stalled = queued()
    claim_run(run=stalled)
    age_heartbeat(stalled)
    live = queued(date(2026, 2, 1))
    claim_run(run=live)

    assert resume_stalled_billing_runs() == 1  # tasks run eagerly here

    stalled.refresh_from_db()
    live.refresh_from_db()
    assert stalled.status == BillingRunStatus.COMPLETED
    assert Invoice.objects.get().contract_id == stalled_contract.pk
    assert live.status == BillingRunStatus.RUNNING and live.attempts == 1


def test_a_queued_run_whose_task_message_was_lost_is_picked_up_by_the_safety_net(settings):
    active_contract()
    lost = queued()  # its message never reached a worker (the broker was down)
    BillingRun.objects.filter(pk=lost.pk).update(
        created_at=timezone.now()
        - timedelta(seconds=settings.LEDGERLINE_BILLING_RUN_LEASE_SECONDS + 1)
    )
    fresh = queued(date(2026, 2, 1))

    assert resume_stalled_billing_runs() == 1

    assert BillingRun.objects.get(pk=lost.pk).status == BillingRunStatus.COMPLETED
    assert BillingRun.objects.get(pk=fresh.pk).status == BillingRunStatus.QUEUED


def test_resuming_a_run_whose_worker_is_alive_is_refused_and_changes_nothing():
    run = queued()
    claim_run(run=run)
    before = BillingRun.objects.filter(pk=run.pk).values().get()

    with pytest.raises(DomainValidationError) as err:
        resume_billing_run(run=run, actor=None)

    assert (err.value.field, err.value.code) == ("status", "not_resumable")
    assert BillingRun.objects.filter(pk=run.pk).values().get() == before


def test_a_specialist_resumes_a_stalled_run_from_its_page(
    client, django_capture_on_commit_callbacks
):
    active_contract()
    run = queued()
    claim_run(run=run)
    age_heartbeat(run)
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))

    page = client.get(reverse("billing:run_detail", args=[run.pk]))
    assert b'id="resume-run"' in page.content

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:run_resume", args=[run.pk]))

    assert response.status_code == 302
    assert BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.COMPLETED
    assert Invoice.objects.count() == 1


def test_the_api_resumes_a_failed_run_and_refuses_a_completed_one(
    client, django_capture_on_commit_callbacks
):
    active_contract()
    run = queued()
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRunStatus.FAILED, error="boom")
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    url = reverse("billingrun-resume", args=[run.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 202
    assert BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.COMPLETED
    refused = client.post(url)
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == ("status", "not_resumable")


def test_an_auditor_may_not_resume_a_run(client):
    run = queued()
    BillingRun.objects.filter(pk=run.pk).update(status=BillingRunStatus.FAILED)
    client.force_login(UserFactory(role=roles.AUDITOR))

    assert client.post(reverse("billing:run_resume", args=[run.pk])).status_code == 403
    assert client.post(reverse("billingrun-resume", args=[run.pk])).status_code == 403
    assert BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.FAILED
