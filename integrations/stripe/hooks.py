"""What billing's hooks call (registered in apps.py): the Stripe push outbox.

- In the issuing transaction (`ON_ISSUE_IN_TRANSACTION`, `ON_CREDIT_NOTE_IN_TRANSACTION`):
  the push row, `pending`, is the outbox entry. It commits with the invoice or credit
  note, or not at all, so a process killed right after the commit still leaves the
  intent behind, and the safety net (`tasks.requeue_stalled_stripe_pushes`) queues it.
- On commit (`ON_ISSUE`, `ON_CREDIT_NOTE`): queue the push now, the fast path. These
  never raise: an issued invoice stays issued whatever happens to its push, and a push
  that could not be queued waits as "queued" for the safety net or "Retry now".
"""

from __future__ import annotations

import logging

from django.conf import settings

from .models import PushState, StripeCreditNotePush, StripeInvoicePush

logger = logging.getLogger(__name__)


def stripe_enabled() -> bool:
    return bool(getattr(settings, "STRIPE_ENABLED", False))


def record_invoice_push_intent(invoice_id: int) -> None:
    """In the issuing transaction: the outbox row."""
    if stripe_enabled():
        StripeInvoicePush.objects.get_or_create(invoice_id=invoice_id)


def record_credit_note_push_intent(credit_note_id: int) -> None:
    """In the credit note's transaction: its outbox row, if its invoice goes to Stripe."""
    if not stripe_enabled():
        return
    from billing.models import CreditNote

    note = CreditNote.objects.get(pk=credit_note_id)
    if StripeInvoicePush.objects.filter(invoice_id=note.invoice_id).exists():
        StripeCreditNotePush.objects.get_or_create(
            credit_note=note,
            defaults={"kind": "void_invoice" if note.is_void_of_invoice else "credit_note"},
        )


def enqueue_invoice_push(invoice_id: int) -> None:
    if not stripe_enabled():
        return
    from .tasks import push_invoice_to_stripe, queue

    try:
        StripeInvoicePush.objects.get_or_create(invoice_id=invoice_id)
        queue(push_invoice_to_stripe, invoice_id)
    except Exception:
        logger.exception("Could not queue the Stripe push of invoice %s", invoice_id)


def enqueue_credit_note_push(credit_note_id: int) -> None:
    if not stripe_enabled():
        return
    from billing.models import CreditNote

    from .tasks import push_credit_note_to_stripe, queue

    try:
        note = CreditNote.objects.get(pk=credit_note_id)
        if not StripeInvoicePush.objects.filter(invoice_id=note.invoice_id).exists():
            return  # its invoice never went to Stripe (issued before Stripe was enabled)
        StripeCreditNotePush.objects.get_or_create(
            credit_note=note,
            defaults={"kind": "void_invoice" if note.is_void_of_invoice else "credit_note"},
        )
        queue(push_credit_note_to_stripe, credit_note_id)
    except Exception:
        logger.exception("Could not queue the Stripe push of credit note %s", credit_note_id)


def enqueue_waiting_credit_notes(invoice_id: int) -> None:
    """Once an invoice is in Stripe, its credit notes that were waiting for it follow."""
    from .tasks import push_credit_note_to_stripe, queue

    waiting = StripeCreditNotePush.objects.filter(
        credit_note__invoice_id=invoice_id,
        state__in=[PushState.PENDING, PushState.RETRYING, PushState.FAILED],
    ).values_list("credit_note_id", flat=True)
    for credit_note_id in waiting:
        try:
            queue(push_credit_note_to_stripe, credit_note_id)
        except Exception:
            logger.exception("Could not queue the Stripe push of credit note %s", credit_note_id)
