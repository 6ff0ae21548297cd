"""Invoice state changes: draft -> open (finalize) -> paid / void / uncollectible, and send.

Illegal moves answer 400 `invoice_not_editable` naming the current status, so a client
that retries blindly sees exactly why Stripe refused.
"""

from __future__ import annotations

from typing import Any

from .context import RequestContext
from .errors import invalid_request, invalid_state
from .events import emit
from .invoices import DAY, mark_paid, refresh_invoice
from .params import Params, check_known, get_bool, get_str
from .payments import pay_invoice_by_card
from .store import public


def _invoice(ctx: RequestContext, invoice_id: str) -> dict[str, Any]:
    return ctx.store.get("invoice", invoice_id)


def finalize(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    store = ctx.store
    customer = store.get("customer", invoice["customer"])
    now = store.now()
    # Stripe numbers invoices per customer: "<invoice_prefix>-<sequence>", e.g. "A1B2C3D4-0001".
    invoice["number"] = f"{customer['invoice_prefix']}-{customer['next_invoice_sequence']:04d}"
    customer["next_invoice_sequence"] += 1
    invoice["status"] = "open"
    invoice["status_transitions"]["finalized_at"] = now
    invoice["effective_at"] = invoice["effective_at"] or now
    invoice["automatically_finalizes_at"] = None
    invoice["ending_balance"] = invoice["starting_balance"]
    invoice["hosted_invoice_url"] = f"{store.base_url}/_sim/hosted/{invoice['id']}"
    if invoice["_days_until_due"] is not None:
        invoice["due_date"] = now + invoice["_days_until_due"] * DAY
    refresh_invoice(store, invoice)
    emit(ctx, "invoice.finalized", invoice)
    if invoice["amount_due"] == 0:
        # Stripe settles a zero-amount invoice the moment it is finalized.
        mark_paid(ctx, invoice)


def finalize_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, {"auto_advance"})
    invoice = _invoice(ctx, invoice_id)
    if invoice["status"] != "draft":
        raise invalid_state(
            f"This invoice is already finalized (status {invoice['status']}); only a draft "
            "invoice can be finalized."
        )
    if ctx.store.get("customer", invoice["customer"]).get("deleted"):
        raise invalid_state(f"The customer of invoice {invoice_id} has been deleted.")
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(get_bool(params, "auto_advance"))
    finalize(ctx, invoice)
    return public(invoice)


def send_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, ())
    invoice = _invoice(ctx, invoice_id)
    if invoice["collection_method"] != "send_invoice":
        raise invalid_state(
            "Only invoices with collection_method=send_invoice can be sent; this one is "
            f"{invoice['collection_method']}."
        )
    if invoice["status"] != "open":
        raise invalid_state(
            f"You can only send open invoices; invoice {invoice_id} is {invoice['status']}."
        )
    if not invoice["customer_email"]:
        raise invalid_request(
            f"Invoice {invoice_id} cannot be sent: its customer has no email address.",
            param="customer",
        )
    # No email leaves the simulator; like Stripe test mode, only the event is sent.
    emit(ctx, "invoice.sent", invoice)
    return public(invoice)


def pay_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, {"paid_out_of_band", "payment_method", "forgive", "off_session"})
    invoice = _invoice(ctx, invoice_id)
    status = invoice["status"]
    if status == "paid":
        raise invalid_state("Invoice is already paid.")
    if status == "void":
        raise invalid_state(f"Invoice {invoice_id} is void and cannot be paid.")
    out_of_band = get_bool(params, "paid_out_of_band")
    payment_method = get_str(params, "payment_method")
    if out_of_band and payment_method:
        raise invalid_request(
            "You cannot pass payment_method together with paid_out_of_band=true.",
            param="payment_method",
        )
    if not out_of_band:
        customer = ctx.store.get("customer", invoice["customer"])
        payment_method = (
            payment_method
            or invoice["default_payment_method"]
            or customer["invoice_settings"]["default_payment_method"]
        )
        if not payment_method:
            raise invalid_request(
                "This customer has no attached payment source or default payment method. "
                "Pass payment_method (e.g. pm_card_visa) or paid_out_of_band=true.",
                param="payment_method",
            )
    if status == "draft":
        finalize(ctx, invoice)  # Stripe finalizes a draft before paying it
        if invoice["status"] == "paid":
            return public(invoice)
    if out_of_band:
        settled = invoice["amount_remaining"]
        invoice["amount_paid"] += settled
        invoice["_amount_paid_off_stripe"] += settled
        refresh_invoice(ctx.store, invoice)
        mark_paid(ctx, invoice)
    else:
        pay_invoice_by_card(ctx, invoice, payment_method)
    return public(invoice)


def void_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, ())
    invoice = _invoice(ctx, invoice_id)
    status = invoice["status"]
    if status == "paid":
        raise invalid_state(
            f"You cannot void invoice {invoice_id}: it is paid. Issue a credit note instead."
        )
    if status not in ("open", "uncollectible"):
        hint = " Delete a draft instead." if status == "draft" else ""
        raise invalid_state(
            f"You can only void open or uncollectible invoices; invoice {invoice_id} is "
            f"{status}.{hint}"
        )
    invoice["status"] = "void"
    invoice["status_transitions"]["voided_at"] = ctx.store.now()
    invoice["auto_advance"] = False
    emit(ctx, "invoice.voided", invoice)
    return public(invoice)


def mark_uncollectible(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, ())
    invoice = _invoice(ctx, invoice_id)
    if invoice["status"] != "open":
        raise invalid_state(
            f"You can only mark open invoices uncollectible; invoice {invoice_id} is "
            f"{invoice['status']}."
        )
    invoice["status"] = "uncollectible"
    invoice["status_transitions"]["marked_uncollectible_at"] = ctx.store.now()
    invoice["auto_advance"] = False
    emit(ctx, "invoice.marked_uncollectible", invoice)
    return public(invoice)


ROUTES = [
    ("POST", "/v1/invoices/{invoice_id}/finalize", finalize_invoice),
    ("POST", "/v1/invoices/{invoice_id}/send", send_invoice),
    ("POST", "/v1/invoices/{invoice_id}/pay", pay_invoice),
    ("POST", "/v1/invoices/{invoice_id}/void", void_invoice),
    ("POST", "/v1/invoices/{invoice_id}/mark_uncollectible", mark_uncollectible),
]
