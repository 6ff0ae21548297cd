"""Thin Celery wrappers: each calls one collections service."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone


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
