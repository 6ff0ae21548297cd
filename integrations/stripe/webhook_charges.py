"""Refunds and disputes made in Stripe, matched to our invoice through invoice payments.

Since API 2025-03-31.basil a Charge no longer names its invoice. A charge names its
PaymentIntent, and the invoice payment of that PaymentIntent names the invoice:
`GET /v1/invoice_payments?payment[type]=payment_intent&payment[payment_intent]=pi_...`.
These are the webhook's only outbound calls besides re-reading a paid invoice; if
Stripe cannot answer, the 500 makes Stripe redeliver.

Refunds made in Stripe move no money here: undoing a Stripe payment is a reversal of its
application and a refund of the cash, which AR decides (`REFUNDED_IN_STRIPE`).

Disputes (chargebacks) follow Stripe's lifecycle, and money moves here only when it
moves at Stripe, dated the day Stripe says, through billing's payment services:

- `charge.dispute.created` / `.updated`: flagged for AR (`DISPUTED_IN_STRIPE`), no money;
- `charge.dispute.funds_withdrawn`: the bank took the disputed amount. The Stripe
  payment's application is reversed, the disputed amount is refunded from the payment
  (reference `Stripe dispute du_...`, what makes this step idempotent), and what was not
  disputed is applied again: the invoice is open again by the disputed amount;
- `charge.dispute.funds_reinstated`: the dispute was won and the money came back: a new
  `stripe` Payment (`external_id` `<dispute id>:reinstated`) applied to the invoice;
- `charge.dispute.closed`: `won` or `lost` noted (`DISPUTE_WON` / `DISPUTE_LOST`). A lost
  dispute whose withdrawal we never saw is withdrawn then, so the books end the same.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import stripe
from django.utils import timezone

from billing.models import Invoice, Payment, PaymentApplication, Refund
from core.errors import DomainValidationError
from core.money import format_money

from .client import StripeRefused, stripe_client, translate
from .currencies import from_stripe_amount
from .locks import SETTLE, invoice_lock
from .models import StripeWebhookEvent, WebhookOutcome
from .webhook_payments import stripe_payment_of

DISPUTE_EVENTS = {
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
}
CHARGE_EVENTS = {"charge.succeeded", "charge.refunded", *DISPUTE_EVENTS}


class StripeCharge:
    """What we learnt about a charge: our invoice, its Stripe invoice and invoice payment."""

    def __init__(self, invoice: Invoice, stripe_invoice_id: str, invoice_payment_id: str):
        self.invoice = invoice
        self.stripe_invoice_id = stripe_invoice_id
        self.invoice_payment_id = invoice_payment_id

    @property
    def payment(self) -> Payment | None:
        return stripe_payment_of(self.stripe_invoice_id, self.invoice_payment_id)


def _day(at: datetime) -> date:
    return min(timezone.localdate(at), timezone.localdate())


def note_charge_event(
    row: StripeWebhookEvent, event_type: str, obj: dict[str, Any], previous: dict[str, Any]
) -> tuple[str, str]:
    disputed = event_type in DISPUTE_EVENTS
    if obj.get("object") != ("dispute" if disputed else "charge"):
        return WebhookOutcome.IGNORED_TYPE, ""
    charge_id = str((obj.get("charge") if disputed else obj.get("id")) or "")
    intent_id = str(obj.get("payment_intent") or "")
    found, refusal = _charge_of(charge_id, intent_id)
    if found is None:
        return refusal
    invoice = row.invoice = found.invoice
    currency = str(obj.get("currency") or "").upper()
    if currency != invoice.currency:
        return (
            WebhookOutcome.MISMATCH,
            f"Charge {charge_id} is in {currency}; {invoice.number} is {invoice.currency}.",
        )
    if event_type == "charge.succeeded":
        return WebhookOutcome.STATUS_NOTED, f"Charge {charge_id} for {found.stripe_invoice_id}"
    row.payment = found.payment
    payment = f"Payment #{row.payment.pk}" if row.payment else "no Stripe payment recorded here"
    ids = f"charge {charge_id}, Stripe invoice {found.stripe_invoice_id}"

    def money(minor: int) -> str:
        return format_money(from_stripe_amount(minor, currency), currency)

    if not disputed:
        refunded = int(obj.get("amount_refunded") or 0)
        before = previous.get("amount_refunded")
        this_refund = refunded - int(before) if before is not None else refunded
        return (
            WebhookOutcome.REFUNDED_IN_STRIPE,
            f"{invoice.number}: {money(this_refund)} refunded in Stripe ({money(refunded)} of "
            f"{money(int(obj.get('amount') or 0))} in all) on {ids}; {payment}. Reverse the "
            "application and record the refund here.",
        )
    amount = from_stripe_amount(int(obj.get("amount") or 0), currency)
    what = (
        f"{invoice.number}: {money(int(obj.get('amount') or 0))} disputed, dispute {obj.get('id')}"
    )
    status = str(obj.get("status") or "")
    if event_type == "charge.dispute.funds_withdrawn" or (
        event_type == "charge.dispute.closed" and status == "lost"
    ):
        try:
            with invoice_lock(SETTLE, invoice.pk, wait=True):
                withdrawn = _withdraw(row, found, str(obj["id"]), amount)
        except DomainValidationError as err:
            # AR already moved this cash by hand: a person decides; a redelivery would
            # only fail the same way, so nothing is left for Stripe to retry.
            return (
                WebhookOutcome.DISPUTE_FUNDS_WITHDRAWN,
                f"{what}: the bank took the funds, but billing refused to take them back "
                f"automatically ({err.field}: {err.code}); record the chargeback by hand.",
            )
        if event_type == "charge.dispute.closed":
            return WebhookOutcome.DISPUTE_LOST, f"{what} was lost; {withdrawn}"
        return WebhookOutcome.DISPUTE_FUNDS_WITHDRAWN, f"{what}: {withdrawn}"
    if event_type == "charge.dispute.funds_reinstated":
        try:
            with invoice_lock(SETTLE, invoice.pk, wait=True):
                reinstated = _reinstate(row, found, obj, amount)
        except DomainValidationError as err:
            reinstated = f"billing refused to record the funds ({err.field}: {err.code})."
        return WebhookOutcome.DISPUTE_WON, f"{what}: {reinstated}"
    if event_type == "charge.dispute.closed":
        outcome = WebhookOutcome.DISPUTE_WON if status == "won" else WebhookOutcome.STATUS_NOTED
        return outcome, f"{what} closed: {status}."
    return (
        WebhookOutcome.DISPUTED_IN_STRIPE,
        f"{what} by the customer's bank ({obj.get('reason') or 'no reason given'}, "
        f"{status or 'open'}) on {ids}; {payment}. Answer it in Stripe.",
    )


def _withdraw(
    row: StripeWebhookEvent, found: StripeCharge, dispute_id: str, amount: Decimal
) -> str:
    from billing.services.payments import apply_payment, refund_payment, reverse_application

    payment = found.payment
    if payment is None:
        return "no Stripe payment recorded here, so nothing to take back."
    reference = f"Stripe dispute {dispute_id}"
    if Refund.objects.filter(payment=payment, reference=reference).exists():
        return f"already taken back from Payment #{payment.pk}."
    day = _day(row.created)
    amount = min(amount, payment.amount - payment.refunded_amount)
    live = (
        PaymentApplication.objects.filter(
            payment=payment, invoice=found.invoice, reverses__isnull=True, reversed_by__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    reapply = Decimal(0)
    payment.refresh_from_db()
    if payment.unapplied_amount < amount and live is not None:
        reverse_application(
            application=live,
            actor=None,
            reason=f"Chargeback: {reference}",
            reversal_date=max(day, live.applied_date),
        )
        reapply = max(live.amount - amount, Decimal(0))
    refund_payment(
        payment=payment,
        amount=amount,
        actor=None,
        reference=reference,
        reason="Funds withdrawn by the customer's bank (chargeback).",
        refund_date=day,
    )
    if reapply > 0:
        apply_payment(
            payment=payment,
            invoice=Invoice.objects.get(pk=found.invoice.pk),
            amount=reapply,
            actor=None,
            applied_date=max(day, live.applied_date),
        )
    return (
        f"{amount} {payment.currency} taken back from Payment #{payment.pk}; the invoice is "
        "open again by that much."
    )


def _reinstate(row: StripeWebhookEvent, found: StripeCharge, dispute: dict, amount: Decimal) -> str:
    from billing.services.payments import apply_payment, record_payment

    day = _day(row.created)
    payment = record_payment(
        account=found.invoice.account,
        amount=amount,
        currency=found.invoice.currency,
        received_date=day,
        method="stripe",
        reference=f"Stripe dispute {dispute['id']} won",
        actor=None,
        external_id=f"{dispute['id']}:reinstated",
    )
    row.payment = payment
    invoice = Invoice.objects.get(pk=found.invoice.pk)
    if payment.applications.filter(invoice=invoice, reverses__isnull=True).exists():
        return f"funds reinstated as Payment #{payment.pk} (already applied)."
    to_apply = min(payment.unapplied_amount, invoice.open_amount)
    if to_apply > 0:
        try:
            apply_payment(
                payment=payment,
                invoice=invoice,
                amount=to_apply,
                actor=None,
                applied_date=max(day, invoice.invoice_date),
            )
        except DomainValidationError as err:
            return f"funds reinstated as Payment #{payment.pk}, left unapplied: {err.code}."
    return f"funds reinstated as Payment #{payment.pk}, {to_apply} applied to {invoice.number}."


def _charge_of(charge_id: str, intent_id: str) -> tuple[StripeCharge | None, tuple[str, str]]:
    from .webhooks import our_invoice

    client = stripe_client()
    try:
        if not intent_id and charge_id:
            intent_id = str(client.v1.charges.retrieve(charge_id).payment_intent or "")
        if not intent_id:
            return None, (WebhookOutcome.UNKNOWN_INVOICE, f"Charge {charge_id}: no payment")
        paid = client.v1.invoice_payments.list(
            params={"payment": {"type": "payment_intent", "payment_intent": intent_id}}
        ).data
    except stripe.StripeError as err:
        failure = translate(err)
        if isinstance(failure, StripeRefused):
            return None, (WebhookOutcome.UNKNOWN_INVOICE, f"Charge {charge_id}: {failure}")
        raise failure from err
    if not paid:
        return None, (WebhookOutcome.UNKNOWN_INVOICE, f"Charge {charge_id}: no invoice")
    stripe_invoice_id = str(
        paid[0].invoice if isinstance(paid[0].invoice, str) else paid[0].invoice.id
    )
    # Only the Stripe invoice id we stored identifies ours.
    invoice, refusal = our_invoice({"id": stripe_invoice_id, "metadata": {}})
    if invoice is None:
        return None, refusal
    return StripeCharge(invoice, stripe_invoice_id, paid[0].id), ("", "")
