"""Invoice items: pending charges for a customer, or lines of a named draft invoice."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .context import RequestContext
from .errors import invalid_request, invalid_state, parameters_exclusive
from .events import emit
from .invoices import refresh_invoice
from .listing import LIST_PARAMS, filter_range, paginate
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_decimal,
    get_hash,
    get_int,
    get_metadata,
    get_str,
)
from .store import public, update_atomically

ITEM_PARAMS = {
    "amount",
    "currency",
    "customer",
    "description",
    "discountable",
    "invoice",
    "metadata",
    "period",
    "quantity",
    "unit_amount",
    "unit_amount_decimal",
}
UPDATE_PARAMS = {
    "amount",
    "description",
    "discountable",
    "metadata",
    "period",
    "quantity",
    "unit_amount",
    "unit_amount_decimal",
}


def _pricing(params: Params, current: dict[str, Any] | None) -> tuple[int, int, Decimal]:
    """amount, quantity and unit amount from `amount` or `quantity` x `unit_amount[_decimal]`.

    `unit_amount` (integer) is what API versions before 2025-03-31 took; current versions
    take `unit_amount_decimal`. Both are accepted; the result is always an integer
    amount in minor units, rounded half up like Stripe rounds decimal unit amounts.
    """
    amount = get_int(params, "amount")
    unit_amount = get_int(params, "unit_amount")
    unit_decimal = get_decimal(params, "unit_amount_decimal")
    quantity = get_int(params, "quantity", minimum=0)
    if unit_amount is not None and unit_decimal is not None:
        raise parameters_exclusive("unit_amount", "unit_amount_decimal")
    unit = Decimal(unit_amount) if unit_amount is not None else unit_decimal
    if amount is not None and unit is not None:
        raise parameters_exclusive("amount", "unit_amount_decimal")
    if amount is not None:
        if quantity not in (None, 1):
            raise invalid_request(
                "When passing amount, quantity must be 1 (or use unit_amount_decimal).",
                param="quantity",
            )
        return amount, 1, Decimal(amount)
    if unit is None:
        if current is None:
            raise invalid_request(
                "You must specify either amount or unit_amount_decimal (with quantity).",
                code="parameter_missing",
                param="amount",
            )
        unit = Decimal(current["pricing"]["unit_amount_decimal"])
    if quantity is None:
        quantity = current["quantity"] if current else 1
    total = (unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(total), quantity, unit


def _period(params: Params, now: int, current: dict[str, Any] | None) -> dict[str, int]:
    given = get_hash(params, "period", ("start", "end"))
    if given is None:
        return current or {"start": now, "end": now}
    start = get_int(given, "start", required=True, label="period[start]")
    end = get_int(given, "end", required=True, label="period[end]")
    if end < start:
        raise invalid_request(
            "The period end must be greater than or equal to the period start.",
            param="period[end]",
        )
    return {"start": start, "end": end}


def _set_pricing(item: dict[str, Any], amount: int, quantity: int, unit: Decimal) -> None:
    item["amount"] = item["net_amount"] = amount
    item["quantity"] = quantity
    item["quantity_decimal"] = str(quantity)
    item["pricing"] = {
        "price_details": None,
        "type": "price_details",
        "unit_amount_decimal": format(unit.normalize(), "f"),
    }


def create_invoice_item(ctx: RequestContext, params: Params) -> dict[str, Any]:
    from .customers import live_customer

    check_known(params, ITEM_PARAMS)
    store = ctx.store
    customer = live_customer(ctx, get_str(params, "customer", required=True), param="customer")
    invoice = None
    invoice_id = get_str(params, "invoice")
    if invoice_id:
        invoice = store.get("invoice", invoice_id, param="invoice")
        if invoice["status"] != "draft":
            raise invalid_state(
                f"Invoice {invoice_id} is {invoice['status']}; items can only be added to "
                "draft invoices."
            )
        if invoice["customer"] != customer["id"]:
            raise invalid_request(
                f"Invoice {invoice_id} belongs to another customer.", param="invoice"
            )
    currency = (
        get_currency(params) or (invoice and invoice["currency"]) or customer["currency"] or "usd"
    )
    if invoice and currency != invoice["currency"]:
        raise invalid_request(
            f"The currency of this invoice item ({currency}) must match the invoice's "
            f"currency ({invoice['currency']}).",
            param="currency",
        )
    now = store.now()
    item: dict[str, Any] = {
        "id": store.new_id("invoiceitem"),
        "object": "invoiceitem",
        "customer": customer["id"],
        "customer_account": None,
        "currency": currency,
        "date": now,
        "description": get_str(params, "description") or None,
        "discountable": get_bool(params, "discountable") is not False,
        "discounts": [],
        "invoice": invoice["id"] if invoice else None,
        "livemode": False,
        "metadata": apply_metadata({}, get_metadata(params), replace=True),
        "parent": None,
        "period": _period(params, now, None),
        "proration": False,
        "proration_details": {"credited_items": None, "discount_amounts": []},
        "tax_rates": [],
        "test_clock": None,
        "_line_id": store.new_id("line_item"),
    }
    _set_pricing(item, *_pricing(params, None))
    with store.lock:
        store.insert(item)
        if invoice:
            invoice["_item_ids"].append(item["id"])
            refresh_invoice(store, invoice)
    emit(ctx, "invoiceitem.created", item)
    return public(item)


def _editable_item(ctx: RequestContext, item_id: str) -> tuple[dict, dict | None]:
    item = ctx.store.get("invoiceitem", item_id)
    invoice = ctx.store.get("invoice", item["invoice"]) if item["invoice"] else None
    if invoice and invoice["status"] != "draft":
        raise invalid_state(
            f"This invoice item belongs to invoice {invoice['id']}, which is "
            f"{invoice['status']}; only pending items and items on drafts can change."
        )
    return item, invoice


def update_invoice_item(ctx: RequestContext, params: Params, item_id: str) -> dict[str, Any]:
    check_known(params, UPDATE_PARAMS)
    item, invoice = _editable_item(ctx, item_id)

    def change(draft: dict[str, Any]) -> None:
        if {"amount", "quantity", "unit_amount", "unit_amount_decimal"} & params.keys():
            _set_pricing(draft, *_pricing(params, draft))
        if "description" in params:
            draft["description"] = get_str(params, "description") or None
        if "discountable" in params:
            draft["discountable"] = bool(get_bool(params, "discountable"))
        draft["period"] = _period(params, draft["date"], draft["period"])
        draft["metadata"] = apply_metadata(draft["metadata"], get_metadata(params), replace=False)

    update_atomically(item, change)
    if invoice:
        refresh_invoice(ctx.store, invoice)
    return public(item)


def delete_invoice_item(ctx: RequestContext, params: Params, item_id: str) -> dict[str, Any]:
    check_known(params, ())
    item, invoice = _editable_item(ctx, item_id)
    with ctx.store.lock:
        ctx.store.remove("invoiceitem", item_id)
        if invoice:
            invoice["_item_ids"].remove(item_id)
            refresh_invoice(ctx.store, invoice)
    emit(ctx, "invoiceitem.deleted", item)
    return {"id": item_id, "object": "invoiceitem", "deleted": True}


def retrieve_invoice_item(ctx: RequestContext, params: Params, item_id: str) -> dict[str, Any]:
    check_known(params, ())
    return public(ctx.store.get("invoiceitem", item_id))


def list_invoice_items(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, {*LIST_PARAMS, "customer", "invoice", "pending", "created"})
    items = ctx.store.all("invoiceitem")
    for field in ("customer", "invoice"):
        wanted = get_str(params, field)
        if wanted:
            items = [i for i in items if i[field] == wanted]
    pending = get_bool(params, "pending")
    if pending is not None:
        items = [i for i in items if (i["invoice"] is None) == pending]
    items = filter_range(items, params, "created", attribute="date")
    return paginate(ctx.store, items, params, url="/v1/invoiceitems", noun="invoiceitem")


ROUTES = [
    ("POST", "/v1/invoiceitems", create_invoice_item),
    ("GET", "/v1/invoiceitems", list_invoice_items),
    ("GET", "/v1/invoiceitems/{item_id}", retrieve_invoice_item),
    ("POST", "/v1/invoiceitems/{item_id}", update_invoice_item),
    ("DELETE", "/v1/invoiceitems/{item_id}", delete_invoice_item),
]
