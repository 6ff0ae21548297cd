"""The shape of an invoice and of its line items, as Stripe's API version 2026-10-28 has them.

Keys starting with `_` never go over the wire; `store.INCLUDABLE` serves the fields
Stripe returns only on request."""

from __future__ import annotations

from typing import Any

from .store import Store, public


def line_from_item(item: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    return {
        "id": item["_line_id"],
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(item["metadata"]),
        "parent": {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        },
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": dict(item["pricing"]),
        "quantity": item["quantity"],
        "subscription": None,
        "subtotal": item["amount"],
        "taxes": [],
    }


def copy_customer_details(invoice: dict[str, Any], customer: dict[str, Any]) -> None:
    invoice.update(
        customer_address=public(customer["address"]),
        customer_email=customer["email"],
        customer_name=customer["name"],
        customer_phone=customer["phone"],
        customer_shipping=public(customer["shipping"]),
        customer_tax_exempt=customer["tax_exempt"],
    )


def blank_invoice(store: Store, customer: dict[str, Any], currency: str) -> dict[str, Any]:
    """A draft with every field Stripe's invoice object has, for this customer."""
    now = store.now()
    invoice_id = store.new_id("invoice")
    invoice: dict[str, Any] = {
        "id": invoice_id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Ledgerline Stripe Simulator",
        "account_tax_ids": None,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": False,
        "automatic_tax": {
            "disabled_reason": None,
            "enabled": False,
            "liability": None,
            "provider": None,
            "status": None,
        },
        "automatically_finalizes_at": None,
        "billing_reason": "manual",
        "collection_method": "charge_automatically",
        "confirmation_secret": None,
        "created": now,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None,
        "number": None,
        "on_behalf_of": None,
        "parent": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": "draft",
        "status_details": None,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "test_clock": None,
        "threshold_reason": None,
        "total_discount_amounts": [],
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None,
        "_item_ids": [],
        "_payment_ids": [],
        # Includable only (`expand[]=amount_paid_off_stripe`) since 2026-05-27.dahlia.
        "_amount_paid_off_stripe": 0,
        "_days_until_due": None,
        "_credited_by_line": {},
        "_credit_note_count": 0,
    }
    copy_customer_details(invoice, customer)
    return invoice
