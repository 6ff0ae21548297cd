"""One sync at a time: a lease on one SyncLock row, taken and released with single
conditional UPDATEs and renewed with every page; a dead worker's lease expires after
SALESFORCE_SYNC_LOCK_SECONDS and its run is marked failed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import ACTIVE_RUN_STATUSES, SyncLock, SyncRun, SyncRunStatus

LOCK_NAME = "salesforce-bookings"


def lock_ttl() -> timedelta:
    return timedelta(seconds=getattr(settings, "SALESFORCE_SYNC_LOCK_SECONDS", 900))


def acquire_lock(run: SyncRun) -> SyncRun | None:
    """Take the lease; return None on success, else the run that holds it."""
    SyncLock.objects.get_or_create(name=LOCK_NAME)
    now = timezone.now()
    taken = (
        SyncLock.objects.filter(name=LOCK_NAME)
        .filter(Q(run__isnull=True) | Q(expires_at__lt=now) | Q(run=run))
        .update(run=run, expires_at=now + lock_ttl())
    )
    if taken:
        return None
    holder = SyncLock.objects.select_related("run").get(name=LOCK_NAME).run
    return holder or run


def renew_lock(run: SyncRun) -> None:
    SyncLock.objects.filter(name=LOCK_NAME, run=run).update(expires_at=timezone.now() + lock_ttl())


def release_lock(run: SyncRun) -> None:
    SyncLock.objects.filter(name=LOCK_NAME, run=run).update(run=None, expires_at=None)


def _fail_abandoned_runs(current: SyncRun) -> None:
    """Runs whose worker died keep an active status: the lease expired, so say so."""
    now = timezone.now()
    abandoned = SyncRun.objects.filter(heartbeat_at__lt=now - lock_ttl()).exclude(pk=current.pk)
    for status in ACTIVE_RUN_STATUSES:
        SyncRun.transition_rows(
            abandoned,
            from_status=status,
            to_status=SyncRunStatus.FAILED,
            finished_at=now,
            error="Abandoned: its worker stopped before the run finished.",
        )
