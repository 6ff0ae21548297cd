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


@shared_task
def close_commitments_and_alert() -> int:
    """Daily: expiries/true-ups/rollovers of ended commitments, then threshold alerts."""
    from billing.usage.services.alerts import send_balance_alerts
    from billing.usage.services.ledger import close_ended_commitments

    today = timezone.localdate()
    closed = close_ended_commitments(as_of=today)
    send_balance_alerts(as_of=today)
    return len(closed)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=30, max_retries=8)
def email_balance_alert(alert_id: int) -> bool:
    """E-mails the account's billing contacts once per alert (the e-mail is marked sent)."""
    from billing.usage.services.alerts import deliver_balance_alert

    return deliver_balance_alert(alert_id=alert_id)


def _enqueue_alert_email(alert_id: int) -> None:
    email_balance_alert.delay(alert_id)
