"""Refunds of card charges, and disputes (chargebacks) the customer's bank opens.

A refund takes `charge` or `payment_intent` and an optional `amount` (default: what is
left unrefunded); like Stripe it refuses more than is left (`amount_too_large`), a
charge already refunded in full (`charge_already_refunded`) and a disputed charge
(`charge_disputed`). It raises the charge's `amount_refunded`, sets `refunded` once the
whole amount is back, and emits `charge.refunded` and `refund.created`. The Stripe
invoice stays paid, as at Stripe.

Disputes have no API for creating them (a bank opens them): `open_dispute` backs the
control endpoint `POST /_sim/charges/{id}/dispute` and emits `charge.dispute.created`.
"""

from __future__ import annotations

import secrets
from typing import Any

from .context import RequestContext
from .control import format_amount
from .errors import invalid_request, parameter_missing, parameters_exclusive
from .events import emit
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_bool,
    get_enum,
    get_int,
    get_metadata,
    get_str,
)
from .payments import _lister, _retrieve
from .store import public

REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")
DISPUTE_REASONS = (
    "bank_cannot_process",
    "credit_not_processed",
    "customer_initiated",
    "debit_not_authorized",
    "duplicate",
    "fraudulent",
    "general",
    "incorrect_account_details",
    "insufficient_funds",
    "product_not_received",
    "product_unacceptable",
    "subscription_canceled",
    "unrecognized",
)
# The text evidence fields the simulator takes (files are not simulated).
EVIDENCE_TEXT = (
    "customer_email_address",
    "customer_name",
    "product_description",
    "service_date",
    "uncategorized_text",
)
CREATE_PARAMS = {"amount", "charge", "metadata", "payment_intent", "reason"}


def _refundable_charge(ctx: RequestContext, params: Params) -> dict[str, Any]:
    charge_id = get_str(params, "charge")
    intent_id = get_str(params, "payment_intent")
    if charge_id and intent_id:
        raise parameters_exclusive("charge", "payment_intent")
    if charge_id:
        return ctx.store.get("charge", charge_id, param="charge")
    if not intent_id:
        raise parameter_missing(
            "charge",
            "One of the following params should be provided for this request: "
            "payment_intent or charge.",
        )
    intent = ctx.store.get("payment_intent", intent_id, param="payment_intent")
    if intent["status"] != "succeeded" or not intent["latest_charge"]:
        raise invalid_request(
            f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
            code="charge_not_refundable",
            param="payment_intent",
        )
    return ctx.store.get("charge", intent["latest_charge"])


def create_refund(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, CREATE_PARAMS)
    charge = _refundable_charge(ctx, params)
    reason = get_enum(params, "reason", REFUND_REASONS)
    metadata = apply_metadata({}, get_metadata(params), replace=True)
    amount = get_int(params, "amount", minimum=1)
    if charge["status"] != "succeeded":
        raise invalid_request(
            f"Charge {charge['id']} has not succeeded; there is nothing to refund.",
            code="charge_not_refundable",
        )
    if charge["disputed"]:
        raise invalid_request(
            f"Charge {charge['id']} has been charged back; you cannot issue a refund.",
            code="charge_disputed",
        )
    left = charge["amount_captured"] - charge["amount_refunded"]
    if left <= 0:
        raise invalid_request(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    if amount is None:
        amount = left
    if amount > left:
        currency = charge["currency"]
        raise invalid_request(
            f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded "
            f"amount on charge ({format_amount(left, currency)})",
            code="amount_too_large",
            param="amount",
        )
    store = ctx.store
    refund = {
        "id": store.new_id("refund"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": f"txn_{secrets.token_hex(12)}",
        "charge": charge["id"],
        "created": store.now(),
        "currency": charge["currency"],
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": metadata,
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    store.insert(refund)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
    emit(ctx, "charge.refunded", charge, previous_attributes=previous)
    emit(ctx, "refund.created", refund)
    return public(refund)


def open_dispute(
    ctx: RequestContext, charge_id: str, *, reason: str = "fraudulent", amount: int | None = None
) -> dict[str, Any]:
    """The customer's bank disputes a charge (what a test card such as
    `pm_card_createDispute` triggers at Stripe)."""
    store = ctx.store
    charge = store.get("charge", charge_id, param="charge")
    if reason not in DISPUTE_REASONS:
        raise invalid_request(
            f"Invalid reason: must be one of {', '.join(DISPUTE_REASONS)}", param="reason"
        )
    if charge["status"] != "succeeded":
        raise invalid_request(f"Charge {charge_id} did not succeed; it cannot be disputed.")
    if charge["disputed"]:
        raise invalid_request(f"Charge {charge_id} is already disputed.")
    left = charge["amount_captured"] - charge["amount_refunded"]
    amount = left if amount is None else int(amount)
    if not 0 < amount <= left:
        raise invalid_request(
            f"A dispute of charge {charge_id} must be between 1 and {left}.", param="amount"
        )
    now = store.now()
    dispute = {
        "id": store.new_id("dispute"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge["id"],
        "created": now,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {"enhanced_evidence": {}, **dict.fromkeys(EVIDENCE_TEXT)},
        "evidence_details": {
            "due_by": now + 7 * 86_400,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
            "submission_method": "not_submitted",
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": reason,
        "status": "needs_response",
    }
    store.insert(dispute)
    charge["disputed"] = True
    emit(ctx, "charge.dispute.created", dispute)
    # A card dispute takes the money from the balance as it opens.
    emit(ctx, "charge.dispute.funds_withdrawn", dispute)
    return public(dispute)


def close_dispute(ctx: RequestContext, dispute_id: str, *, won: bool) -> dict[str, Any]:
    """The bank decides: won gives the money back (`funds_reinstated`), then `closed`."""
    dispute = ctx.store.get("dispute", dispute_id)
    if dispute["status"] in ("won", "lost"):
        raise invalid_request(f"Dispute {dispute_id} is already {dispute['status']}.")
    previous = {"status": dispute["status"]}
    dispute["status"] = "won" if won else "lost"
    if won:
        emit(ctx, "charge.dispute.funds_reinstated", dispute)
    emit(ctx, "charge.dispute.closed", dispute, previous_attributes=previous)
    return public(dispute)


def update_dispute(ctx: RequestContext, params: Params, object_id: str) -> dict[str, Any]:
    """Evidence and `submit=true` (what the product's dashboard user does in Stripe)."""
    check_known(params, {"evidence", "metadata", "submit"})
    dispute = ctx.store.get("dispute", object_id)
    if dispute["status"] in ("won", "lost"):
        raise invalid_request(f"Dispute {object_id} is closed and cannot be updated.")
    previous = {"status": dispute["status"]}
    evidence = params.get("evidence") or {}
    unknown = set(evidence) - set(EVIDENCE_TEXT) if isinstance(evidence, dict) else {"?"}
    if unknown:
        raise invalid_request(
            f"Received unknown parameter: evidence[{sorted(unknown)[0]}]", param="evidence"
        )
    if evidence:
        dispute["evidence"].update({k: str(v) for k, v in evidence.items()})
        dispute["evidence_details"]["has_evidence"] = True
    dispute["metadata"] = apply_metadata(dispute["metadata"], get_metadata(params), replace=False)
    if get_bool(params, "submit"):
        dispute["status"] = "under_review"
        dispute["evidence_details"]["submission_count"] += 1
        dispute["evidence_details"]["submission_method"] = "manual"
    emit(ctx, "charge.dispute.updated", dispute, previous_attributes=previous)
    return public(dispute)


ROUTES = [
    ("POST", "/v1/refunds", create_refund),
    ("GET", "/v1/refunds", _lister("refund", "/v1/refunds", ("charge", "payment_intent"))),
    ("GET", "/v1/refunds/{object_id}", _retrieve("refund")),
    ("GET", "/v1/disputes", _lister("dispute", "/v1/disputes", ("charge", "payment_intent"))),
    ("GET", "/v1/disputes/{object_id}", _retrieve("dispute")),
    ("POST", "/v1/disputes/{object_id}", update_dispute),
]
