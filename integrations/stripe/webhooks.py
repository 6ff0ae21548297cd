"""Stripe events in: verify, check the shape, record once per event id, act once.

Processing is synchronous, in the request. What keeps it exactly-once and safe:

- the signature is checked first (`stripe.Webhook.construct_event`, 5 minutes
  tolerance, and no more than that into the future); a bad or stale one is a 400 and
  nothing is written;
- the body must then be a Stripe event of the version we pin, shaped as the official
  library's typed `Event` and resource classes declare (`shapes`, lenient: fields Stripe
  may add later pass, declared fields must have their types). Anything else (a JSON
  array, nesting deeper than any Stripe object, `amount_paid` as a string) is a 400,
  logged once, and leaves no row behind: nothing half-done for Stripe to redeliver;
- each event id is one `StripeWebhookEvent` row; a delivery of an event already
  processed only counts the delivery;
- the payload is only a trigger: payments are recorded from the invoice re-read from
  Stripe (`webhook_payments`), refunds and disputes are matched through invoice payments
  (`webhook_charges`); money moves only through billing's services;
- work on one invoice is serialized by an advisory lock, so two deliveries racing
  each other cannot both apply;
- a failure half-way (Stripe unreachable on the re-read) leaves the event unprocessed
  and answers 500: Stripe delivers it again and every step above is skipped when done.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus

from . import shapes
from .client import api_version
from .locks import SETTLE, invoice_lock
from .models import StripeInvoicePush, StripeWebhookEvent, WebhookOutcome
from .push import INVOICE_ID_KEY, INVOICE_NUMBER_KEY, advance_stripe_status
from .webhook_charges import CHARGE_EVENTS, DISPUTE_EVENTS, note_charge_event
from .webhook_payments import record_stripe_payments

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 300  # seconds: older signatures are replays
PAYMENT_EVENTS = {"invoice.paid", "invoice.payment_succeeded"}
STATUS_EVENTS = {
    "invoice.finalized",
    "invoice.sent",
    "invoice.updated",
    "invoice.voided",
    "invoice.marked_uncollectible",
    "invoice.payment_failed",
}

# What `stripe_register_webhook` subscribes our endpoint to.
SUBSCRIBED_EVENTS = sorted(PAYMENT_EVENTS | STATUS_EVENTS | CHARGE_EVENTS)


# A Stripe event is at most about ten levels deep; far deeper is not one.
MAX_DEPTH = 32
# The object each event type we act on must carry, and the fields we read from it.
EXPECTED_OBJECT = {
    **dict.fromkeys(PAYMENT_EVENTS | STATUS_EVENTS, "invoice"),
    **dict.fromkeys(CHARGE_EVENTS - DISPUTE_EVENTS, "charge"),
    **dict.fromkeys(DISPUTE_EVENTS, "dispute"),
}
READ_FIELDS = {
    "invoice": {"id": str, "currency": str, "status": str},
    "charge": {"id": str, "currency": str, "amount": int},
    "dispute": {"id": str, "currency": str, "amount": int, "status": str},
}


class WebhookNotConfigured(Exception):
    pass


class BadSignature(Exception):
    pass


class NotAStripeEvent(Exception):
    """Signed, but not an event of the shape and version we read; refused with 400."""


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event as a plain dict, once its signature and its shape check out."""
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise WebhookNotConfigured("STRIPE_WEBHOOK_SECRET is not set.")
    if not signature:
        raise BadSignature("No Stripe-Signature header.")
    tolerance = int(getattr(settings, "STRIPE_WEBHOOK_TOLERANCE", DEFAULT_TOLERANCE))
    _refuse_future_timestamp(signature, tolerance)
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, tolerance=tolerance
        )
    except stripe.SignatureVerificationError as err:
        raise BadSignature(str(err)) from err
    except UnicodeDecodeError as err:
        raise NotAStripeEvent("The body is not UTF-8.") from err
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as err:
        raise NotAStripeEvent(
            f"The body is not JSON of a sane depth: {type(err).__name__}"
        ) from err
    check_event_shape(event)
    return event


def _refuse_future_timestamp(signature: str, tolerance: int) -> None:
    """The library refuses signatures older than the tolerance, not ones from the future
    (a clock far ahead, or a signature made to be replayed later)."""
    stamps = [part[2:] for part in signature.split(",") if part.strip().startswith("t=")]
    for stamp in stamps:
        if stamp.strip().isdigit() and int(stamp) > time.time() + tolerance:
            raise BadSignature("The signature is timestamped in the future.")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        children = (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_event_shape(event: Any) -> None:
    """Refuse what is not a Stripe event we can read, before anything is written."""
    if not isinstance(event, dict):
        raise NotAStripeEvent(f"The body is a JSON {type(event).__name__}, not an event.")
    if _depth(event) > MAX_DEPTH:
        raise NotAStripeEvent(f"The body is nested deeper than {MAX_DEPTH} levels.")
    found = shapes.problems(event, stripe.Event, strict=False)
    data = event.get("data")
    for name, kind in (("id", str), ("type", str), ("created", int)):
        if not isinstance(event.get(name), kind):
            found.append(f"Event.{name}: missing or not a {kind.__name__}")
    if event.get("object") != "event" or not isinstance(data, dict):
        found.append("Event: not an event object with data")
    elif not isinstance(data.get("object"), dict):
        found.append("Event.data.object: missing or not an object")
    else:
        found += _object_problems(str(event.get("type")), data["object"])
    if not found and event.get("api_version") != api_version():
        found.append(
            f"Event.api_version: {event.get('api_version')!r}, we read {api_version()} "
            "(register the endpoint again with --replace)"
        )
    if found:
        raise NotAStripeEvent("; ".join(found[:5]))


def _object_problems(event_type: str, obj: dict[str, Any]) -> list[str]:
    expected = EXPECTED_OBJECT.get(event_type)
    if expected is not None and obj.get("object") != expected:
        return [f"Event.data.object: a {obj.get('object')!r}, {event_type} carries a {expected}"]
    cls = shapes.resource_class(str(obj.get("object") or ""))
    found = shapes.problems(obj, cls, strict=False, path="Event.data.object") if cls else []
    for name, kind in READ_FIELDS.get(str(expected), {}).items():
        value = obj.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            found.append(f"Event.data.object.{name}: missing or not a {kind.__name__}")
    return found


def _when(unix: int | None) -> datetime:
    return datetime.fromtimestamp(unix, UTC) if unix else timezone.now()


def receive_event(event: dict[str, Any]) -> StripeWebhookEvent:
    """Record the event (once) and act on it (once). Safe to call again for any event."""
    data = event.get("data") or {}
    obj = data.get("object") or {}
    row, created = StripeWebhookEvent.objects.get_or_create(
        event_id=event["id"],
        defaults={
            "type": event["type"][:64],
            "livemode": bool(event.get("livemode")),
            "created": _when(event.get("created")),
            "stripe_object_id": str(obj.get("id") or "")[:64],
        },
    )
    if not created:
        StripeWebhookEvent.objects.filter(pk=row.pk).update(deliveries=F("deliveries") + 1)
        row.refresh_from_db()
        if row.processed_at is not None:
            return row
    try:
        outcome, detail = _act(row, event["type"], obj, data.get("previous_attributes") or {})
    except Exception as exc:
        row.outcome = WebhookOutcome.ERROR
        row.detail = f"{type(exc).__name__}"[:500]
        row.save(update_fields=["outcome", "detail"])
        raise
    # A concurrent delivery of the same event may have finished first; its outcome
    # (the one that did the work) stands.
    StripeWebhookEvent.objects.filter(pk=row.pk, processed_at__isnull=True).update(
        outcome=outcome,
        detail=detail[:500],
        processed_at=timezone.now(),
        invoice=row.invoice,
        payment=row.payment,
    )
    row.refresh_from_db()
    return row


def _act(row: StripeWebhookEvent, event_type: str, obj: dict, previous: dict) -> tuple[str, str]:
    if event_type in CHARGE_EVENTS:
        return note_charge_event(row, event_type, obj, previous)
    if event_type not in PAYMENT_EVENTS | STATUS_EVENTS:
        return WebhookOutcome.IGNORED_TYPE, ""
    invoice, refusal = our_invoice(obj)
    if invoice is None:
        return refusal
    row.invoice = invoice
    _note_status(invoice, obj, row.created)
    if event_type in PAYMENT_EVENTS:
        with invoice_lock(SETTLE, invoice.pk, wait=True):
            return record_stripe_payments(row, invoice)
    if event_type == "invoice.voided" and invoice.status != InvoiceStatus.VOID:
        return (
            WebhookOutcome.VOIDED_IN_STRIPE,
            f"Stripe invoice {obj.get('id')} was voided in Stripe; {invoice.number} is still "
            "issued here. Void or credit it here if that was intended.",
        )
    return WebhookOutcome.STATUS_NOTED, str(obj.get("status") or "")


def our_invoice(obj: dict) -> tuple[Invoice | None, tuple[str, str]]:
    """Our invoice for a Stripe invoice: by the id we stored, else by the metadata we set
    (the push may not have stored the id yet), cross-checked against what we know."""
    stripe_id = str(obj.get("id") or "")
    metadata = obj.get("metadata") or {}
    invoice = Invoice.objects.select_related("account").filter(stripe_invoice_id=stripe_id).first()
    if invoice is None:
        push = StripeInvoicePush.objects.filter(stripe_invoice_id=stripe_id).first()
        if push is not None:
            invoice = Invoice.objects.select_related("account").get(pk=push.invoice_id)
    if invoice is None:
        our_id = str(metadata.get(INVOICE_ID_KEY) or "")
        if not our_id.isdigit():
            return None, (WebhookOutcome.UNKNOWN_INVOICE, f"Stripe invoice {stripe_id}")
        invoice = Invoice.objects.select_related("account").filter(pk=int(our_id)).first()
        if invoice is None:
            return None, (WebhookOutcome.UNKNOWN_INVOICE, f"No invoice #{our_id} here.")
        if invoice.stripe_invoice_id and invoice.stripe_invoice_id != stripe_id:
            return None, (
                WebhookOutcome.MISMATCH,
                f"Invoice #{our_id} is linked to Stripe invoice {invoice.stripe_invoice_id}, "
                f"not {stripe_id}.",
            )
    customer = invoice.stripe_customer_id or invoice.account.stripe_customer_id
    if customer and obj.get("customer") and obj["customer"] != customer:
        return None, (
            WebhookOutcome.MISMATCH,
            f"Stripe invoice {stripe_id} belongs to customer {obj['customer']}, not {customer}.",
        )
    number = metadata.get(INVOICE_NUMBER_KEY)
    if number and invoice.number and number != invoice.number:
        return None, (WebhookOutcome.MISMATCH, f"Metadata names invoice {number}.")
    return invoice, ("", "")


def _note_status(invoice: Invoice, obj: dict, at: datetime) -> None:
    status = obj.get("status")
    push = StripeInvoicePush.objects.filter(invoice=invoice).first()
    if status and push is not None:
        advance_stripe_status(push, status, at)
