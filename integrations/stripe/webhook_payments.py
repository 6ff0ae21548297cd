"""Cash from Stripe, recorded from what Stripe says the invoice's payments are.

An `invoice.paid` / `invoice.payment_succeeded` payload is only the trigger. Since API
2025-03-31.basil its `amount_paid` includes payments marked out of band, and since
2026-05-27.dahlia `amount_paid_off_stripe` is never in an event payload, so nothing in the
payload says how much cash moved through Stripe. We re-read the invoice with
`expand[]=payments` (and `amount_paid_off_stripe`, for the message) and record one Payment
per *paid invoice payment* made through Stripe (a PaymentIntent or a Charge), with the
invoice payment's id as `external_id`:

- out of band (wire, check ... recorded here by hand and marked paid out of band in
  Stripe): no invoice payment through Stripe, nothing recorded (`PAID_OUT_OF_BAND`);
- partial payment: each Stripe payment is its own Payment, applied up to what is open;
  our invoice stays partially paid until the rest arrives;
- overpayment (Stripe collected more than we have open, e.g. part was wired meanwhile):
  the excess stays unapplied on the account (`PAYMENT_UNAPPLIED`) for AR to refund or
  apply;
- an invoice we voided meanwhile: the cash is recorded and left unapplied.

Payments recorded before this change carry the Stripe invoice id as `external_id`; such
an invoice counts as recorded.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import stripe
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Payment
from core.errors import DomainValidationError

from .client import stripe_client, translate
from .currencies import from_stripe_amount
from .models import StripeWebhookEvent, WebhookOutcome

THROUGH_STRIPE = {"payment_intent", "charge"}


def read_invoice_payments(stripe_invoice_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Stripe invoice as Stripe has it now, and all its invoice payments."""
    client = stripe_client()
    try:
        invoice = client.v1.invoices.retrieve(
            stripe_invoice_id, params={"expand": ["payments", "amount_paid_off_stripe"]}
        ).to_dict()
        listed = invoice.get("payments") or {}
        payments = list(listed.get("data") or [])
        if listed.get("has_more"):
            payments = [
                p.to_dict()
                for p in client.v1.invoice_payments.list(
                    params={"invoice": stripe_invoice_id, "limit": 100}
                ).auto_paging_iter()
            ]
    except stripe.StripeError as err:
        # Unavailable: the 500 makes Stripe redeliver. Refused: also retried by Stripe,
        # and listed as an error here for a person to look at.
        raise translate(err) from err
    return invoice, payments


def _paid_at(unix: int | None) -> date:
    when = datetime.fromtimestamp(unix, UTC) if unix else timezone.now()
    return min(timezone.localdate(when), timezone.localdate())


def record_stripe_payments(row: StripeWebhookEvent, invoice: Invoice) -> tuple[str, str]:
    """Record and apply every paid Stripe payment of our invoice's Stripe invoice (the
    caller holds the invoice's settle lock)."""
    stripe_invoice, payments = read_invoice_payments(
        invoice.stripe_invoice_id or row.stripe_object_id
    )
    stripe_id = str(stripe_invoice["id"])
    currency = str(stripe_invoice.get("currency") or "").upper()
    if currency != invoice.currency:
        return (
            WebhookOutcome.MISMATCH,
            f"Paid in {currency}; {invoice.number} is {invoice.currency}.",
        )
    if Payment.objects.filter(external_id=stripe_id).exists():
        row.payment = Payment.objects.get(external_id=stripe_id)
        return WebhookOutcome.ALREADY_RECORDED, f"Payment #{row.payment.pk}"
    through_stripe = [
        p
        for p in payments
        if p.get("status") == "paid" and (p.get("payment") or {}).get("type") in THROUGH_STRIPE
    ]
    if not through_stripe:
        off_stripe = int(stripe_invoice.get("amount_paid_off_stripe") or 0)
        if off_stripe or int(stripe_invoice.get("amount_paid") or 0):
            return (
                WebhookOutcome.PAID_OUT_OF_BAND,
                f"Marked paid in Stripe outside Stripe ({off_stripe} minor units): record the "
                "cash where it arrived (wire, check ...), not as a Stripe payment.",
            )
        return WebhookOutcome.STATUS_NOTED, "Settled without cash (credit notes)."
    results = [_record_one(row, invoice, stripe_invoice, p, currency) for p in through_stripe]
    for outcome in (WebhookOutcome.MISMATCH, WebhookOutcome.PAYMENT_UNAPPLIED):
        flagged = [detail for o, detail in results if o == outcome]
        if flagged:
            return outcome, " ".join(flagged)
    if all(o == WebhookOutcome.ALREADY_RECORDED for o, _ in results):
        return WebhookOutcome.ALREADY_RECORDED, " ".join(d for _, d in results)
    return WebhookOutcome.PAYMENT_RECORDED, " ".join(
        d for o, d in results if o == WebhookOutcome.PAYMENT_RECORDED
    )


def _record_one(
    row: StripeWebhookEvent,
    invoice: Invoice,
    stripe_invoice: dict[str, Any],
    stripe_payment: dict[str, Any],
    currency: str,
) -> tuple[str, str]:
    from billing.services.payments import apply_payment, record_payment

    amount = from_stripe_amount(int(stripe_payment.get("amount_paid") or 0), currency)
    received = _paid_at((stripe_payment.get("status_transitions") or {}).get("paid_at"))
    existed = Payment.objects.filter(external_id=stripe_payment["id"]).exists()
    try:
        payment = record_payment(
            account=invoice.account,
            amount=amount,
            currency=currency,
            received_date=received,
            method="stripe",
            reference=f"Stripe {stripe_invoice.get('number') or stripe_invoice['id']}"[:100],
            actor=None,
            external_id=str(stripe_payment["id"]),
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


def stripe_payment_of(stripe_invoice_id: str, invoice_payment_id: str = "") -> Payment | None:
    """Our Payment for a Stripe payment: by its invoice payment id, else (recorded before
    invoice payments were read) by the Stripe invoice id."""
    ids = [i for i in (invoice_payment_id, stripe_invoice_id) if i]
    found = {p.external_id: p for p in Payment.objects.filter(external_id__in=ids, method="stripe")}
    return next((found[i] for i in ids if i in found), None)
