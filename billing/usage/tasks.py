"""Thin Celery wrappers for usage: partitions ahead, commitment close-out and alerts."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from billing.usage.partitions import ensure_partitions, months_around


@shared_task
def ensure_usage_partitions() -> list[str]:
    """Monthly partitions for last month to three months ahead (daily; idempotent)."""
    with transaction.atomic():
        return ensure_partitions(months_around(timezone.localdate()))
