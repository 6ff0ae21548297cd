"""Credit notes and voiding, pushed after their invoice: a Stripe credit note for the
gross amount (any part above what Stripe still has open is `out_of_band_amount`), or the
Stripe invoice voided when our invoice is voided."""

from __future__ import annotations

from typing import Any

import stripe
from django.utils import timezone

from billing.models import CreditNote

from ..client import StripeRefused, StripeUnavailable, stripe_client, translate
from ..currencies import to_stripe_amount
from ..locks import PUSH, invoice_lock
from ..models import CreditNotePushKind, PushState, StripeCreditNotePush, StripeInvoicePush
from .common import (
    CREDIT_NOTE_ID_KEY,
    INVOICE_ID_KEY,
    _attempt,
    _call,
    _finish,
    _metadata,
    advance_stripe_status,
    idempotency_key,
)
from .invoices import _push_invoice

# --- Credit notes and voiding ------------------------------------------------------------------


class WaitingForInvoicePush(StripeUnavailable):
    """The credit note's invoice is not in Stripe yet; try again after it is."""

    code = "waiting_for_invoice_push"


def push_credit_note(
    *, credit_note_id: int, final_attempt: bool = True, retry_in: int | None = None
) -> StripeCreditNotePush:
    note = CreditNote.objects.select_related("invoice").get(pk=credit_note_id)
    kind = (
        CreditNotePushKind.VOID_INVOICE
        if note.is_void_of_invoice
        else CreditNotePushKind.CREDIT_NOTE
    )
    push, _ = StripeCreditNotePush.objects.get_or_create(credit_note=note, defaults={"kind": kind})
    if push.state in (PushState.PUSHED, PushState.SKIPPED):
        return push
    with invoice_lock(PUSH, note.invoice_id, wait=False):
        push.refresh_from_db()
        if push.state in (PushState.PUSHED, PushState.SKIPPED):
            return push
        _attempt(
            push,
            lambda: _push_credit_note(push, note),
            final_attempt=final_attempt,
            retry_in=retry_in,
        )
    return push


def _push_credit_note(push: StripeCreditNotePush, note: CreditNote) -> None:
    invoice_push = StripeInvoicePush.objects.filter(invoice_id=note.invoice_id).first()
    if invoice_push is None:
        _finish(push, PushState.SKIPPED, note="Its invoice was never sent to Stripe.")
        return
    if push.kind == CreditNotePushKind.VOID_INVOICE and invoice_push.state != PushState.PUSHED:
        # The invoice push is not done: it sees our invoice is void and takes back what
        # reached Stripe. Run it now (under the same lock) instead of waiting for it.
        if invoice_push.state != PushState.SKIPPED:
            _attempt(
                invoice_push,
                lambda: _push_invoice(invoice_push),
                final_attempt=True,
                retry_in=None,
            )
        if invoice_push.state == PushState.SKIPPED:
            _finish(push, PushState.SKIPPED, note=invoice_push.note)
            return
        raise StripeUnavailable(f"The invoice's own push failed: {invoice_push.last_error}")
    if invoice_push.state == PushState.SKIPPED and not invoice_push.stripe_invoice_id:
        _finish(push, PushState.SKIPPED, note="Its invoice never reached Stripe.")
        return
    if invoice_push.state != PushState.PUSHED:
        raise WaitingForInvoicePush(
            "Waiting for the invoice to reach Stripe before its credit note can follow."
        )
    client = stripe_client()
    stripe_invoice = _call(client.v1.invoices.retrieve, invoice_push.stripe_invoice_id)
    push.stripe_invoice_id = stripe_invoice.id
    push.save(update_fields=["stripe_invoice_id", "updated_at"])
    if push.kind == CreditNotePushKind.VOID_INVOICE:
        _void_stripe_invoice(client, push, invoice_push, stripe_invoice, note)
    else:
        _create_stripe_credit_note(client, push, stripe_invoice, note)


def _void_stripe_invoice(client, push, invoice_push, stripe_invoice, note: CreditNote) -> None:
    status = stripe_invoice.status
    if status == "paid":
        raise StripeRefused(
            f"Stripe invoice {stripe_invoice.id} is paid in Stripe and cannot be voided there; "
            "refund the payment in Stripe.",
            code="paid_in_stripe",
        )
    if status in ("open", "uncollectible"):
        status = _call(
            client.v1.invoices.void_invoice,
            stripe_invoice.id,
            options={"idempotency_key": idempotency_key(note.invoice_id, "void")},
        ).status
    advance_stripe_status(invoice_push, status)
    _finish(push, PushState.PUSHED, pushed_at=timezone.now(), note="Stripe invoice voided.")


def _create_stripe_credit_note(client, push, stripe_invoice, note: CreditNote) -> None:
    if stripe_invoice.status == "void":
        _finish(
            push,
            PushState.SKIPPED,
            note=f"Stripe invoice {stripe_invoice.id} is void; nothing to credit there.",
        )
        return
    listing = _call(
        client.v1.credit_notes.list, params={"invoice": stripe_invoice.id, "limit": 100}
    )
    try:
        for existing in listing.auto_paging_iter():
            if _metadata(existing).get(CREDIT_NOTE_ID_KEY) == str(note.pk):
                _finish(
                    push,
                    PushState.PUSHED,
                    stripe_credit_note_id=existing.id,
                    pushed_at=timezone.now(),
                )
                return
    except stripe.StripeError as err:
        raise translate(err) from err
    amount = to_stripe_amount(note.total_amount, note.currency, field="total_amount")
    remaining = stripe_invoice.amount_remaining if stripe_invoice.status != "paid" else 0
    params: dict[str, Any] = {
        "invoice": stripe_invoice.id,
        "amount": amount,
        "memo": f"Credit note {note.number}: {note.reason}"[:500],
        "metadata": {
            CREDIT_NOTE_ID_KEY: str(note.pk),
            "ledgerline_credit_note_number": note.number,
            INVOICE_ID_KEY: str(note.invoice_id),
        },
    }
    if amount > remaining:
        # More than Stripe still has open: the rest is settled outside Stripe (Ledgerline
        # keeps the books of it); a customer balance credit would silently reduce the
        # next Stripe invoice and no longer match ours.
        params["out_of_band_amount"] = amount - remaining
    created = _call(
        client.v1.credit_notes.create,
        params=params,
        options={"idempotency_key": f"ledgerline-credit-note-{note.pk}"},
    )
    _finish(push, PushState.PUSHED, stripe_credit_note_id=created.id, pushed_at=timezone.now())
