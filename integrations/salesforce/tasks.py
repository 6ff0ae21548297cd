"""Thin Celery wrapper: load the run, call the service; outages retry with backoff."""

from __future__ import annotations

from celery import shared_task

from .errors import SalesforceSessionExpired, SalesforceUnavailable
from .models import SyncRun

MAX_RETRIES = 5  # backoff 1, 2, 4, 8, 16 s (with jitter), capped at 5 minutes


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(SalesforceUnavailable, SalesforceSessionExpired),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def sync_salesforce_bookings(self, run_id: int | None = None) -> int | None:
    """Sync one run. Without a run id (the periodic task) it queues a new run first, so
    that retries carry the run's id and don't start runs of their own."""
    from . import services

    if run_id is None:
        run = services.scheduled_run()
        if run is None:
            return None
        enqueue_sync(run.pk)
        return run.pk
    run = SyncRun.objects.get(pk=run_id)
    services.execute_sync(
        run=run,
        final_attempt=self.request.retries >= MAX_RETRIES,
        max_attempts=MAX_RETRIES + 1,
    )
    return run.pk


def enqueue_sync(run_id: int) -> None:
    """Send the run to a worker. Without a broker (the demo runs tasks eagerly) the run
    happens here, its retries at once (Celery's eager mode would raise them instead)."""
    if not sync_salesforce_bookings.app.conf.task_always_eager:
        sync_salesforce_bookings.delay(run_id=run_id)
        return
    from . import services

    run = SyncRun.objects.get(pk=run_id)
    for attempt in range(MAX_RETRIES + 1):
        try:
            services.execute_sync(
                run=run, final_attempt=attempt == MAX_RETRIES, max_attempts=MAX_RETRIES + 1
            )
        except (SalesforceUnavailable, SalesforceSessionExpired):
            continue
        return
