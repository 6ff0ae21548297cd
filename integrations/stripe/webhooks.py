"""Stripe events in: verify, record once per event id, act once per payment.

Processing is synchronous, in the request, because it is a handful of queries with no
outbound call: Stripe gets its 2xx within milliseconds, and nothing depends on a worker.
What keeps it exactly-once:

- the signature is checked first (`stripe.Webhook.construct_event`, 5 minutes
  tolerance); a bad or stale one is a 400 and nothing is written;
- each event id is one `StripeWebhookEvent` row; a delivery of an event already
  processed only counts the delivery;
- the payment is recorded through billing's own `record_payment` with the Stripe
  invoice id as `external_id` (idempotent there), and applied through `apply_payment`
  only if this payment was never applied to this invoice. `invoice.paid` and
  `invoice.payment_succeeded` describe the same payment, so whichever arrives first
  records it and the other finds it;
- work on one invoice is serialized by an advisory lock, so two deliveries racing
  each other cannot both apply;
- a failure half-way leaves the event unprocessed and answers 500: Stripe delivers it
  again and every step above is skipped when already done.

Refunds and disputes made in Stripe (`charge.refunded`, `charge.dispute.created`) move
no money here: undoing a Stripe payment means reversing its application and refunding
the unapplied cash, which AR decides. They are listed for review (`REFUNDED_IN_STRIPE`,
`DISPUTED_IN_STRIPE`) with our invoice, the amount and the Stripe ids. A charge names
its Stripe invoice; a dispute names only its charge, whose invoice we know from an
earlier event of that charge (`charge.succeeded`) or, failing that, ask Stripe for (the
one outbound call here; if Stripe cannot answer, the 500 makes Stripe redeliver).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Payment
from billing.money import format_money
from ordermgmt.errors import DomainValidationError

from .client import StripeRefused, stripe_client, translate
from .currencies import from_stripe_amount
from .locks import SETTLE, invoice_lock
from .models import StripeInvoicePush, StripeWebhookEvent, WebhookOutcome
from .push import INVOICE_ID_KEY, INVOICE_NUMBER_KEY, advance_stripe_status

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
# Refunds and disputes are flagged for AR; a succeeded charge only links the charge to
# our invoice, for a later dispute of it.
CHARGE_EVENTS = {"charge.succeeded", "charge.refunded", "charge.dispute.created"}
# What `stripe_register_webhook` subscribes our endpoint to.
SUBSCRIBED_EVENTS = sorted(PAYMENT_EVENTS | STATUS_EVENTS | CHARGE_EVENTS)


class WebhookNotConfigured(Exception):
    pass


class BadSignature(Exception):
    pass


def verify(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event as a plain dict, once its signature checks out."""
    secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    if not secret:
        raise WebhookNotConfigured("STRIPE_WEBHOOK_SECRET is not set.")
    if not signature:
        raise BadSignature("No Stripe-Signature header.")
    tolerance = int(getattr(settings, "STRIPE_WEBHOOK_TOLERANCE", DEFAULT_TOLERANCE))
    try:
        stripe.Webhook.construct_event(payload, signature, secret, tolerance=tolerance)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as err:
        raise BadSignature(str(err)) from err
    except ValueError as err:
        raise BadSignature(f"The body is not a Stripe event: {err}") from err
    if not isinstance(event, dict) or not event.get("id") or not event.get("type"):
        raise BadSignature("The body is not a Stripe event.")
    return event


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
        return _note_charge_event(row, event_type, obj, previous)
    if event_type not in PAYMENT_EVENTS | STATUS_EVENTS or obj.get("object") != "invoice":
        return WebhookOutcome.IGNORED_TYPE, ""
    invoice, refusal = our_invoice(obj)
    if invoice is None:
        return refusal
    row.invoice = invoice
    _note_status(invoice, obj, row.created)
    if event_type in PAYMENT_EVENTS:
        with invoice_lock(SETTLE, invoice.pk, wait=True):
            return _record_payment(row, invoice, obj)
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


def _record_payment(row: StripeWebhookEvent, invoice: Invoice, obj: dict) -> tuple[str, str]:
    from billing.services.payments import apply_payment, record_payment

    stripe_id = str(obj["id"])
    currency = str(obj.get("currency") or "").upper()
    if currency != invoice.currency:
        return (
            WebhookOutcome.MISMATCH,
            f"Paid in {currency}; {invoice.number} is {invoice.currency}.",
        )
    paid = int(obj.get("amount_paid") or 0)
    off_stripe = int(obj.get("amount_paid_off_stripe") or 0)
    through_stripe = paid - off_stripe
    if through_stripe <= 0:
        if off_stripe:
            return (
                WebhookOutcome.PAID_OUT_OF_BAND,
                f"Marked paid in Stripe outside Stripe ({off_stripe} minor units): record the "
                "cash where it arrived (wire, check ...), not as a Stripe payment.",
            )
        return WebhookOutcome.STATUS_NOTED, "Settled without cash (credit notes)."
    amount = from_stripe_amount(through_stripe, currency)
    paid_at = _when((obj.get("status_transitions") or {}).get("paid_at") or None)
    received = min(timezone.localdate(paid_at), timezone.localdate())
    existed = Payment.objects.filter(external_id=stripe_id).exists()
    try:
        payment = record_payment(
            account=invoice.account,
            amount=amount,
            currency=currency,
            received_date=received,
            method="stripe",
            reference=f"Stripe {obj.get('number') or stripe_id}"[:100],
            actor=None,
            external_id=stripe_id,
        )
    except DomainValidationError as err:
        return WebhookOutcome.MISMATCH, f"Billing refused the payment: {err.code}: {err.message}"
    row.payment = payment
    if payment.applications.filter(invoice=invoice, reverses__isnull=True).exists():
        return WebhookOutcome.ALREADY_RECORDED, f"Payment #{payment.pk}"
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        return (
            WebhookOutcome.PAYMENT_UNAPPLIED,
            f"Payment #{payment.pk} recorded; {invoice.number} is {invoice.status}, so the cash "
            "stays unapplied on the account (apply it elsewhere or refund it).",
        )
    to_apply = min(payment.unapplied_amount, invoice.open_amount)
    if to_apply <= 0:
        outcome = WebhookOutcome.ALREADY_RECORDED if existed else WebhookOutcome.PAYMENT_UNAPPLIED
        return outcome, f"Payment #{payment.pk}; nothing open on {invoice.number} to apply to."
    try:
        apply_payment(
            payment=payment,
            invoice=invoice,
            amount=to_apply,
            actor=None,
            applied_date=max(received, invoice.invoice_date),
        )
    except DomainValidationError as err:
        return (
            WebhookOutcome.PAYMENT_UNAPPLIED,
            f"Payment #{payment.pk} recorded; applying it was refused: {err.code}: {err.message}",
        )
    if to_apply < amount:
        return (
            WebhookOutcome.PAYMENT_UNAPPLIED,
            f"Payment #{payment.pk}: {to_apply} applied to {invoice.number}, the rest stays "
            "unapplied on the account (the invoice had less open than Stripe collected).",
        )
    return WebhookOutcome.PAYMENT_RECORDED, f"Payment #{payment.pk}"


def _note_charge_event(
    row: StripeWebhookEvent, event_type: str, obj: dict, previous: dict
) -> tuple[str, str]:
    disputed = event_type == "charge.dispute.created"
    if obj.get("object") != ("dispute" if disputed else "charge"):
        return WebhookOutcome.IGNORED_TYPE, ""
    charge_id = str((obj.get("charge") if disputed else obj.get("id")) or "")
    if disputed:
        invoice, stripe_invoice_id, refusal = _invoice_of_disputed_charge(row, charge_id)
    else:
        invoice, stripe_invoice_id, refusal = _invoice_of_charge(obj)
    if invoice is None:
        return refusal
    row.invoice = invoice
    currency = str(obj.get("currency") or "").upper()
    if currency != invoice.currency:
        return (
            WebhookOutcome.MISMATCH,
            f"Charge {charge_id} is in {currency}; {invoice.number} is {invoice.currency}.",
        )
    if event_type == "charge.succeeded":
        return WebhookOutcome.STATUS_NOTED, f"Charge {charge_id} for {stripe_invoice_id}"
    row.payment = (
        Payment.objects.filter(external_id=stripe_invoice_id, method="stripe")
        .order_by("pk")
        .first()
    )
    payment = f"Payment #{row.payment.pk}" if row.payment else "no Stripe payment recorded here"
    ids = f"charge {charge_id}, Stripe invoice {stripe_invoice_id}"

    def money(minor: int) -> str:
        return format_money(from_stripe_amount(minor, currency), currency)

    if disputed:
        return (
            WebhookOutcome.DISPUTED_IN_STRIPE,
            f"{invoice.number}: {money(int(obj.get('amount') or 0))} disputed by the "
            f"customer's bank ({obj.get('reason') or 'no reason given'}), dispute "
            f"{obj.get('id')} on {ids}; {payment}. Answer it in Stripe; if it is lost, "
            "reverse the application here.",
        )
    refunded = int(obj.get("amount_refunded") or 0)
    before = previous.get("amount_refunded")
    this_refund = refunded - int(before) if before is not None else refunded
    return (
        WebhookOutcome.REFUNDED_IN_STRIPE,
        f"{invoice.number}: {money(this_refund)} refunded in Stripe ({money(refunded)} of "
        f"{money(int(obj.get('amount') or 0))} in all) on {ids}; {payment}. Reverse the "
        "application and record the refund here.",
    )


def _invoice_of_charge(charge: dict) -> tuple[Invoice | None, str, tuple[str, str]]:
    charge_id = str(charge.get("id") or "")
    stripe_invoice_id = str(charge.get("invoice") or "")
    if not stripe_invoice_id:
        return None, "", (WebhookOutcome.UNKNOWN_INVOICE, f"Charge {charge_id}: no invoice")
    # Only the Stripe invoice id we stored identifies ours: the charge's metadata is not
    # the metadata we set on the invoice.
    invoice, refusal = our_invoice(
        {"id": stripe_invoice_id, "customer": charge.get("customer"), "metadata": {}}
    )
    return invoice, stripe_invoice_id, refusal


def _invoice_of_disputed_charge(
    row: StripeWebhookEvent, charge_id: str
) -> tuple[Invoice | None, str, tuple[str, str]]:
    seen = (
        StripeWebhookEvent.objects.filter(
            stripe_object_id=charge_id, type__startswith="charge.", invoice__isnull=False
        )
        .exclude(pk=row.pk)
        .select_related("invoice", "invoice__account")
        .order_by("pk")
        .first()
    )
    if seen is not None and seen.invoice.stripe_invoice_id:
        return seen.invoice, seen.invoice.stripe_invoice_id, ("", "")
    if not charge_id:
        return None, "", (WebhookOutcome.UNKNOWN_INVOICE, "The dispute names no charge.")
    try:
        charge = stripe_client().v1.charges.retrieve(charge_id).to_dict()
    except stripe.StripeError as err:
        failure = translate(err)
        if isinstance(failure, StripeRefused):
            return None, "", (WebhookOutcome.UNKNOWN_INVOICE, f"Charge {charge_id}: {failure}")
        raise failure from err
    return _invoice_of_charge(charge)
