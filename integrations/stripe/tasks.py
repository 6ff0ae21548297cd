"""Thin Celery wrappers around push.py. Transient Stripe trouble is retried with
exponential backoff (5 s, 10 s, 20 s ... capped at 10 min, 8 retries: about 21 minutes in
all); the push row records each failure and when the next attempt is due, and a final
failure stays on the integration page for a person to retry."""

from __future__ import annotations

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from .client import StripeUnavailable
from .locks import Busy

RETRY_ON = (StripeUnavailable, Busy)
RETRY_POLICY = {
    "autoretry_for": RETRY_ON,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    # No jitter: the page can say exactly when the next attempt runs.
    "retry_jitter": False,
    "max_retries": 8,
    "acks_late": True,
}


def _attempt(task) -> dict:
    retries = task.request.retries or 0
    return {
        "final_attempt": retries >= task.max_retries,
        "retry_in": get_exponential_backoff_interval(
            factor=int(task.retry_backoff),
            retries=retries,
            maximum=task.retry_backoff_max,
            full_jitter=False,
        ),
    }


@shared_task(bind=True, **RETRY_POLICY)
def push_invoice_to_stripe(self, invoice_id: int) -> str:
    from .push import push_invoice

    return push_invoice(invoice_id=invoice_id, **_attempt(self)).state


@shared_task(bind=True, **RETRY_POLICY)
def push_credit_note_to_stripe(self, credit_note_id: int) -> str:
    from .push import push_credit_note

    return push_credit_note(credit_note_id=credit_note_id, **_attempt(self)).state


def queue(task, *args) -> None:
    """Queue a push. Without a broker (the demo runs tasks eagerly) nothing can wait for
    a backoff: the push gets one attempt, now, as its final one, and a failure waits on
    the integration page for "Retry now" instead of surfacing in the caller's request."""
    if task.app.conf.task_always_eager:
        task.apply(args=args, retries=task.max_retries, throw=False)
    else:
        task.delay(*args)


@shared_task(acks_late=True)
def requeue_stalled_stripe_pushes() -> int:
    """Safety net, for beat every few minutes: pushes whose message was lost (broker down
    at issue time, a retry never delivered, a worker gone for good) are queued again.
    Queuing twice is harmless; the push itself is idempotent."""
    from django.utils import timezone

    from .models import PushState, StripeCreditNotePush, StripeInvoicePush
    from .push import STALLED_AFTER

    cutoff = timezone.now() - STALLED_AFTER
    stalled = {"state__in": [PushState.PENDING, PushState.IN_PROGRESS], "updated_at__lt": cutoff}
    overdue = {"state": PushState.RETRYING, "next_retry_at__lt": cutoff}
    queued = 0
    for model, task, field in [
        (StripeInvoicePush, push_invoice_to_stripe, "invoice_id"),
        (StripeCreditNotePush, push_credit_note_to_stripe, "credit_note_id"),
    ]:
        for filters in (stalled, overdue):
            for object_id in model.objects.filter(**filters).values_list(field, flat=True):
                task.delay(object_id)
                queued += 1
    return queued
