"""Simulated card payments of invoices: a PaymentIntent, a Charge and an InvoicePayment.

Stripe's test payment methods name the outcome: `pm_card_visa` succeeds,
`pm_card_chargeDeclined` is declined. A decline leaves the invoice open, fires the
failure events and answers 402 `card_error`, as Stripe does.
"""

from __future__ import annotations

import secrets
from typing import Any

from .context import RequestContext
from .errors import card_declined, invalid_request, invalid_state
from .events import emit
from .invoices import mark_paid, refresh_invoice
from .listing import LIST_PARAMS, filter_range, paginate
from .params import Params, check_known, get_str
from .store import public

# payment method -> (brand, last4, decline: (decline_code, message) or None)
TEST_PAYMENT_METHODS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "pm_card_visa": ("visa", "4242", None),
    "pm_card_mastercard": ("mastercard", "4444", None),
    "pm_card_amex": ("amex", "8431", None),
    "pm_card_chargeDeclined": ("visa", "0002", ("generic_decline", "Your card was declined.")),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "visa",
        "9995",
        ("insufficient_funds", "Your card has insufficient funds."),
    ),
}
PAYABLE = ("open", "uncollectible")


def _payment_intent(ctx: RequestContext, invoice: dict, payment_method: str) -> dict:
    store = ctx.store
    intent_id = store.new_id("payment_intent")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": invoice["amount_remaining"],
        "amount_capturable": 0,
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
        "confirmation_method": "automatic",
        "created": store.now(),
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "description": f"Payment for Invoice {invoice['number']}",
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": payment_method,
        "payment_method_options": {},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "requires_confirmation",
        "transfer_data": None,
        "transfer_group": None,
    }


def _charge(
    ctx: RequestContext,
    intent: dict,
    card: tuple[str, str],
    failure: tuple | None,
) -> dict:
    brand, last4 = card
    succeeded = failure is None
    return {
        "id": ctx.store.new_id("charge"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": f"txn_{secrets.token_hex(12)}" if succeeded else None,
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "calculated_statement_descriptor": "LEDGERLINE SIM",
        "captured": succeeded,
        "created": ctx.store.now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": "card_declined" if failure else None,
        "failure_message": failure[1] if failure else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": {
            "network_status": "approved_by_network" if succeeded else "declined_by_network",
            "reason": failure[0] if failure else None,
            "risk_level": "normal",
            "seller_message": "Payment complete."
            if succeeded
            else "The bank did not return any further details with this decline.",
            "type": "authorized" if succeeded else "issuer_declined",
        },
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": {
            "type": "card",
            "card": {
                "brand": brand,
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "funding": "credit",
                "last4": last4,
            },
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }


def pay_invoice_by_card(ctx: RequestContext, invoice: dict[str, Any], payment_method: str) -> None:
    """Charge the invoice's remaining amount to a test card; raises 402 on a decline."""
    store = ctx.store
    if invoice["status"] not in PAYABLE:
        raise invalid_state(
            f"Invoice {invoice['id']} is {invoice['status']}; only open or uncollectible "
            "invoices can be paid."
        )
    if payment_method not in TEST_PAYMENT_METHODS:
        raise invalid_request(
            f"No such PaymentMethod: '{payment_method}' (the simulator knows "
            f"{', '.join(TEST_PAYMENT_METHODS)})",
            code="resource_missing",
            param="payment_method",
        )
    brand, last4, failure = TEST_PAYMENT_METHODS[payment_method]
    intent = _payment_intent(ctx, invoice, payment_method)
    charge = _charge(ctx, intent, (brand, last4), failure)
    intent["latest_charge"] = charge["id"]
    invoice["attempt_count"] += 1
    invoice["attempted"] = True
    store.insert(intent)
    emit(ctx, "payment_intent.created", intent)
    store.insert(charge)
    if failure:
        intent["status"] = "requires_payment_method"
        intent["last_payment_error"] = {
            "charge": charge["id"],
            "code": "card_declined",
            "decline_code": failure[0],
            "message": failure[1],
            "type": "card_error",
        }
        emit(ctx, "charge.failed", charge)
        emit(ctx, "payment_intent.payment_failed", intent)
        emit(ctx, "invoice.payment_failed", invoice)
        raise card_declined(failure[1], charge_id=charge["id"], decline_code=failure[0])
    intent["status"] = "succeeded"
    intent["amount_received"] = intent["amount"]
    payment = {
        "id": store.new_id("invoice_payment"),
        "object": "invoice_payment",
        "amount_paid": intent["amount"],
        "amount_requested": intent["amount"],
        "created": store.now(),
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": store.now()},
    }
    store.insert(payment)
    invoice["_payment_ids"].append(payment["id"])
    invoice["amount_paid"] += intent["amount"]
    refresh_invoice(store, invoice)
    emit(ctx, "charge.succeeded", charge)
    emit(ctx, "payment_intent.succeeded", intent)
    mark_paid(ctx, invoice)
    emit(ctx, "invoice.payment_succeeded", invoice)
    emit(ctx, "invoice_payment.paid", payment)


def _retrieve(kind: str):
    def retrieve(ctx: RequestContext, params: Params, object_id: str) -> dict[str, Any]:
        check_known(params, ())
        return public(ctx.store.get(kind, object_id))

    return retrieve


def _lister(kind: str, url: str, filters: tuple[str, ...]):
    def list_objects(ctx: RequestContext, params: Params) -> dict[str, Any]:
        check_known(params, {*LIST_PARAMS, "created", *filters})
        objects = ctx.store.all(kind)
        for field in filters:
            wanted = get_str(params, field)
            if wanted:
                objects = [o for o in objects if o.get(field) == wanted]
        objects = filter_range(objects, params, "created")
        return paginate(ctx.store, objects, params, url=url, noun=kind.replace("_", " "))

    return list_objects


def list_invoice_payments(ctx: RequestContext, params: Params) -> dict[str, Any]:
    """Filtered by `invoice`, `status` and `payment[type]` with `payment[payment_intent]`:
    how a charge's invoice is found since 2025-03-31.basil dropped `charge.invoice`."""
    check_known(params, {*LIST_PARAMS, "created", "invoice", "payment", "status"})
    payments = ctx.store.all("invoice_payment")
    for field in ("invoice", "status"):
        wanted = get_str(params, field)
        if wanted:
            payments = [p for p in payments if p[field] == wanted]
    by_payment = params.get("payment")
    if by_payment is not None:
        if not isinstance(by_payment, dict) or by_payment.get("type") not in (
            "payment_intent",
            "payment_record",
        ):
            raise invalid_request(
                "payment[type] must be one of payment_intent, payment_record.",
                param="payment[type]",
            )
        kind = by_payment["type"]
        payments = [p for p in payments if p["payment"]["type"] == kind]
        wanted = by_payment.get(kind)
        if wanted:
            payments = [p for p in payments if p["payment"].get(kind) == wanted]
    payments = filter_range(payments, params, "created")
    return paginate(ctx.store, payments, params, url="/v1/invoice_payments", noun="invoice payment")


ROUTES = [
    ("GET", "/v1/payment_intents", _lister("payment_intent", "/v1/payment_intents", ("customer",))),
    ("GET", "/v1/payment_intents/{object_id}", _retrieve("payment_intent")),
    ("GET", "/v1/charges", _lister("charge", "/v1/charges", ("customer", "payment_intent"))),
    ("GET", "/v1/charges/{object_id}", _retrieve("charge")),
    ("GET", "/v1/invoice_payments", list_invoice_payments),
    ("GET", "/v1/invoice_payments/{object_id}", _retrieve("invoice_payment")),
]
