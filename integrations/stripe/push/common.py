"""What every Stripe push shares: keys, the call wrapper, and the push's progress record
(attempts, failures, the Stripe status that only moves forward)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import stripe
from django.db import transaction
from django.utils import timezone

from core.errors import DomainValidationError

from ..client import StripeRefused, StripeUnavailable, translate
from ..models import PushState, StripeCreditNotePush, StripeInvoicePush

logger = logging.getLogger("integrations.stripe.push")

T = TypeVar("T")
INVOICE_ID_KEY = "ledgerline_invoice_id"
INVOICE_NUMBER_KEY = "ledgerline_invoice_number"
LINE_KEY = "ledgerline_line"
CREDIT_NOTE_ID_KEY = "ledgerline_credit_note_id"


def idempotency_key(invoice_id: int, suffix: str) -> str:
    return f"ledgerline-invoice-{invoice_id}-{suffix}"


def _call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        return fn(*args, **kwargs)
    except stripe.StripeError as err:
        raise translate(err) from err


def _metadata(obj: Any) -> dict[str, str]:
    metadata = getattr(obj, "metadata", None)
    return metadata.to_dict() if metadata is not None else {}


def _start(push: StripeInvoicePush | StripeCreditNotePush) -> None:
    push.attempts += 1
    push.transition_to(PushState.IN_PROGRESS)
    push.next_retry_at = None
    push.save(update_fields=["attempts", "state", "next_retry_at", "updated_at"])


def _fail(push, message: str, code: str, retry_in: int | None) -> None:
    push.transition_to(PushState.RETRYING if retry_in is not None else PushState.FAILED)
    push.last_error = message[:2000]
    push.last_error_code = code[:64]
    push.last_error_at = timezone.now()
    push.next_retry_at = (
        push.last_error_at + timedelta(seconds=retry_in) if retry_in is not None else None
    )
    push.save(
        update_fields=[
            "state",
            "last_error",
            "last_error_code",
            "last_error_at",
            "next_retry_at",
            "updated_at",
        ]
    )


def _finish(push, state: str, **fields: Any) -> None:
    status = fields.pop("stripe_status", None)
    push.transition_to(state)
    push.next_retry_at = None
    push.last_error = push.last_error_code = ""
    push.last_error_at = None
    for name, value in fields.items():
        setattr(push, name, value)
    # Only what this push changed: a webhook may be writing the Stripe status meanwhile.
    push.save(
        update_fields=[
            "state",
            "next_retry_at",
            "last_error",
            "last_error_code",
            "last_error_at",
            "updated_at",
            *fields,
        ]
    )
    if status is not None:
        advance_stripe_status(push, status)


# Stripe invoice statuses only move forward (draft -> open -> uncollectible -> paid or
# void); "deleted" is a draft we deleted. Whoever learns a status first (a webhook, an API
# reply), a later-arriving older one never moves it back.
STATUS_RANK = {"draft": 0, "open": 1, "uncollectible": 2, "paid": 3, "void": 3, "deleted": 4}


def advance_stripe_status(
    push: StripeInvoicePush, status: str, at: datetime | None = None
) -> StripeInvoicePush:
    with transaction.atomic():
        locked = StripeInvoicePush.objects.select_for_update().get(pk=push.pk)
        current = STATUS_RANK.get(locked.stripe_status, -1)
        if STATUS_RANK.get(status, -1) >= current:
            locked.stripe_status = status
            if at is not None:
                locked.stripe_status_at = at
            locked.save(update_fields=["stripe_status", "stripe_status_at", "updated_at"])
    push.stripe_status = locked.stripe_status
    push.stripe_status_at = locked.stripe_status_at
    return push


def _attempt(push, body: Callable[[], None], *, final_attempt: bool, retry_in: int | None):
    """Run one attempt and record how it ended. Raises StripeUnavailable only when the
    caller (the Celery task) should retry; a final or permanent failure is recorded and
    returned, so the failure shows on the integration page instead of in a traceback."""
    _start(push)
    try:
        body()
    except StripeUnavailable as exc:
        code = getattr(exc, "code", "stripe_unavailable")
        _fail(push, str(exc), code, None if final_attempt else retry_in)
        logger.warning("Stripe push %s #%s: Stripe unavailable", type(push).__name__, push.pk)
        if not final_attempt:
            raise
    except StripeRefused as exc:
        _fail(push, str(exc), exc.code or "stripe_refused", None)
        logger.warning("Stripe push %s #%s refused by Stripe", type(push).__name__, push.pk)
    except DomainValidationError as exc:
        _fail(push, exc.message, exc.code, None)
    except Exception as exc:
        _fail(push, f"Unexpected error: {type(exc).__name__}", "unexpected_error", None)
        raise
    return push
