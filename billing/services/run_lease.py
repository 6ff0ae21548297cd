"""Who owns a billing run while it runs, and what happens when that owner dies.

A billing run is executed by one attempt at a time: the Celery task claims the run under
a row lock (a fresh UUID in `attempt`), and every chunk renews the lease (`heartbeat_at`)
in the chunk's own transaction, only while the attempt still holds it. So:

- a task delivered twice (acks_late redelivery after a visibility timeout, the safety
  net queueing it again) finds the run completed, or held by a live attempt, and leaves;
- a worker killed mid-run (SIGKILL, OOM, machine gone) leaves the run "running" with a
  heartbeat that stops; once older than the lease the run is *stalled*: a person resumes
  it from the run page or the API, or the beat safety net does;
- an attempt that was taken over (it was only slow) finds its lease gone at its next
  chunk and stops; the chunk it was writing rolls back.

Resuming is safe because the run itself is: each chunk commits whole and due lines are
taken with SKIP LOCKED, so a resumed run bills only what is still pending.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import BillingRun, BillingRunStatus
from core.errors import DomainValidationError

logger = logging.getLogger(__name__)


class RunSuperseded(Exception):
    """This attempt no longer holds the run's lease (a newer attempt took it over)."""


class RunBusy(Exception):
    """Another attempt holds a live lease on the run: try again once it may have lapsed
    (a worker's pool process killed mid-run is requeued at once, before its lease ends)."""

    def __init__(self, run_id: int, retry_in: float) -> None:
        super().__init__(f"billing run {run_id} is held by a live attempt")
        self.retry_in = retry_in


def lease_duration() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LEDGERLINE_BILLING_RUN_LEASE_SECONDS", 600)))


def stalled_runs() -> QuerySet[BillingRun]:
    """Runs whose owner is gone: running with a heartbeat older than the lease, or queued
    for longer than the lease without any worker taking them (the task message was lost)."""
    cutoff = timezone.now() - lease_duration()
    return BillingRun.objects.filter(
        Q(status=BillingRunStatus.RUNNING, heartbeat_at__lt=cutoff)
        | Q(status=BillingRunStatus.RUNNING, heartbeat_at__isnull=True, started_at__lt=cutoff)
        | Q(status=BillingRunStatus.QUEUED, created_at__lt=cutoff)
    )


def is_stalled(run: BillingRun) -> bool:
    return stalled_runs().filter(pk=run.pk).exists()


def is_resumable(run: BillingRun) -> bool:
    return run.status == BillingRunStatus.FAILED or is_stalled(run)


@transaction.atomic(durable=True)
def claim_run(*, run: BillingRun) -> uuid.UUID | None:
    """Take the run for this attempt, or return None when it is completed. RunBusy when
    another attempt holds a live lease."""
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.status == BillingRunStatus.COMPLETED:
        return None
    now = timezone.now()
    if run.status == BillingRunStatus.RUNNING and not is_stalled(run):
        last_sign_of_life = run.heartbeat_at or run.started_at or now
        lapses_in = (last_sign_of_life + lease_duration() - now).total_seconds()
        raise RunBusy(run.pk, retry_in=max(lapses_in, 0) + 1)
    attempt = uuid.uuid4()
    BillingRun.transition_rows(
        BillingRun.objects.filter(pk=run.pk),
        from_status=run.status,
        to_status=BillingRunStatus.RUNNING,
        attempt=attempt,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        started_at=run.started_at or now,
        finished_at=None,
        error="",
    )
    return attempt


def renew_lease(*, run: BillingRun, attempt: uuid.UUID | None) -> None:
    """Called inside a chunk's transaction: the row stays locked until the chunk commits,
    so a takeover waits for the chunk, and a superseded attempt writes nothing."""
    if attempt is None:  # called outside a claimed attempt (a benchmark, a shell)
        return
    renewed = BillingRun.objects.filter(
        pk=run.pk, attempt=attempt, status=BillingRunStatus.RUNNING
    ).update(heartbeat_at=timezone.now())
    if not renewed:
        raise RunSuperseded(f"billing run {run.pk} was taken over by another attempt")


@transaction.atomic(durable=True)
def resume_billing_run(*, run: BillingRun, actor) -> BillingRun:
    """Queue a failed or stalled run again; it bills only what is still pending."""
    from billing.services.runs import ON_RUN_QUEUED

    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if not is_resumable(run):
        raise DomainValidationError(
            field="status",
            code=BillingError.NOT_RESUMABLE,
            message=f"{run} is {run.get_status_display().lower()} and not stalled: "
            "only a failed run, or a run whose worker stopped, can be resumed.",
        )
    logger.info(
        "Billing run %s (%s) resumed by user %s", run.pk, run.status, getattr(actor, "pk", None)
    )
    for hook in ON_RUN_QUEUED:
        transaction.on_commit(lambda hook=hook: hook(run.pk))
    return run
