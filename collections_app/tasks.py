"""Thin Celery wrappers: each calls one collections service."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from collections_app.reports.export_jobs import ExportJobBusy


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    max_retries=5,
)
def send_dunning_reminders(as_of: str | None = None) -> dict:
    """Daily from django-celery-beat (06:00 UTC, editable in the admin). Running it again,
    or twice at once, sends no step twice. `as_of` (ISO date) defaults to today."""
    from collections_app.services import send_due_reminders

    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return send_due_reminders(as_of=day).as_dict()


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, ExportJobBusy),
    retry_backoff=60,
    retry_backoff_max=15 * 60,
    max_retries=6,
)
def build_export_file(job_id: int) -> str | None:
    """Queued by `request_export` after commit. A duplicated delivery finds the job done
    (and returns), or still held by a live attempt (ExportJobBusy: retried later, by when
    it is done, or its worker is gone and this attempt takes it over)."""
    from collections_app.reports.export_jobs import build_export

    job = build_export(job_id=job_id)
    return job.status if job else None


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    retry_backoff_max=30 * 60,
    max_retries=5,
)
def send_monthly_statements(as_of: str | None = None) -> dict:
    """Monthly from django-celery-beat (the 1st, 07:00): last month's statements of
    account to the accounts that ask for them; a re-run sends none twice."""
    from collections_app.statements.services import send_monthly_statements as send

    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    return send(as_of=day).as_dict()
