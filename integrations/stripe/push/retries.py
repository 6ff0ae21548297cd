"""Retrying a push by hand ("Retry now" on the integration page and in the admin), and
what counts as stalled for the safety net (`tasks.requeue_stalled_stripe_pushes`).

One service for both kinds of push: an invoice push and a credit note push are retried
the same way, only the task that runs them differs."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from core.errors import DomainValidationError
from integrations.error_codes import IntegrationError

from ..models import PushState, StripeCreditNotePush, StripeInvoicePush

logger = logging.getLogger("integrations.stripe.push")

STALLED_AFTER = timedelta(minutes=10)

Push = StripeInvoicePush | StripeCreditNotePush


def is_stalled(push: Push) -> bool:
    """Queued or in progress for long: the enqueue was lost or its worker died."""
    return (
        push.state in (PushState.PENDING, PushState.IN_PROGRESS)
        and push.updated_at < timezone.now() - STALLED_AFTER
    )


def _task_and_subject(push: Push):
    from ..tasks import push_credit_note_to_stripe, push_invoice_to_stripe

    if isinstance(push, StripeInvoicePush):
        return push_invoice_to_stripe, "invoice", push.invoice_id
    return push_credit_note_to_stripe, "credit note", push.credit_note_id


@transaction.atomic(durable=True)
def retry_push(*, push: Push, actor) -> Push:
    """Queue a failed, retrying or stalled push again (after this transaction commits)."""
    from ..tasks import queue

    push = type(push).objects.select_for_update().get(pk=push.pk)
    if not (push.state in (PushState.FAILED, PushState.RETRYING) or is_stalled(push)):
        raise DomainValidationError(
            field="state",
            code=IntegrationError.NOT_RETRYABLE,
            message=f"This push is {push.get_state_display().lower()}; only failed, retrying "
            "or stalled pushes can be retried.",
        )
    push.transition_to(PushState.PENDING)
    push.next_retry_at = None
    push.note = f"Retried by {getattr(actor, 'username', 'system')}"[:300]
    push.save(update_fields=["state", "next_retry_at", "note", "updated_at"])
    task, noun, subject_id = _task_and_subject(push)
    transaction.on_commit(lambda: queue(task, subject_id))
    logger.info(
        "Stripe push of %s %s retried by user %s", noun, subject_id, getattr(actor, "pk", None)
    )
    return push
