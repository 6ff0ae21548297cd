"""One-off invoices (no subscriptions): create, retrieve, update, list, delete a draft, lines.

Amounts are integers in the currency's minor unit, as on the wire (JPY 1000 is ¥1000,
USD 1000 is $10.00). Totals are sums of line amounts; tax and discounts are not modelled.
State changes (finalize, pay, void ...) live in invoice_actions.py.
"""

from __future__ import annotations

from typing import Any

from .context import RequestContext
from .errors import invalid_request, invalid_state, parameters_exclusive
from .events import emit
from .invoice_model import blank_invoice, copy_customer_details, line_from_item
from .listing import LIST_PARAMS, filter_range, paginate
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_bool,
    get_currency,
    get_enum,
    get_hash,
    get_int,
    get_list,
    get_metadata,
    get_str,
)
from .store import Store, public, update_atomically

STATUSES = ("draft", "open", "paid", "uncollectible", "void")
COLLECTION_METHODS = ("charge_automatically", "send_invoice")
EMBEDDED_LINES = 10  # Stripe embeds the first 10 lines; the rest are paged via /lines
DAY = 86400
UPDATABLE = {
    "draft": {
        "auto_advance",
        "collection_method",
        "custom_fields",
        "days_until_due",
        "description",
        "due_date",
        "footer",
        "metadata",
        "statement_descriptor",
    },
    "open": {"auto_advance", "custom_fields", "description", "footer", "metadata"},
    "paid": {"metadata"},
    "uncollectible": {"metadata"},
    "void": {"metadata"},
}
CREATE_PARAMS = UPDATABLE["draft"] | {
    "automatic_tax",
    "currency",
    "customer",
    "payment_settings",
    "pending_invoice_items_behavior",
}


def invoice_lines(store: Store, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        line_from_item(store.get("invoiceitem", item_id), invoice["id"])
        for item_id in invoice["_item_ids"]
    ]


def refresh_invoice(store: Store, invoice: dict[str, Any]) -> None:
    """Recompute lines and totals after any change to the invoice or its items."""
    lines = invoice_lines(store, invoice)
    subtotal = sum(line["amount"] for line in lines)
    amount_due = max(subtotal - invoice["pre_payment_credit_notes_amount"], 0)
    invoice.update(
        subtotal=subtotal,
        subtotal_excluding_tax=subtotal,
        total=subtotal,
        total_excluding_tax=subtotal,
        amount_due=amount_due,
        amount_remaining=max(amount_due - invoice["amount_paid"], 0),
        lines={
            "object": "list",
            "data": lines[:EMBEDDED_LINES],
            "has_more": len(lines) > EMBEDDED_LINES,
            "url": f"/v1/invoices/{invoice['id']}/lines",
        },
    )


def sync_customer_details(store: Store, customer: dict[str, Any]) -> None:
    """Drafts show the customer's current details; finalizing freezes them."""
    for invoice in store.all("invoice"):
        if invoice["customer"] == customer["id"] and invoice["status"] == "draft":
            copy_customer_details(invoice, customer)


def mark_paid(ctx: RequestContext, invoice: dict[str, Any]) -> None:
    invoice["status"] = "paid"
    invoice["status_transitions"]["paid_at"] = ctx.store.now()
    invoice["auto_advance"] = False
    refresh_invoice(ctx.store, invoice)
    emit(ctx, "invoice.paid", invoice)


def _custom_fields(params: Params) -> list[dict[str, str]] | None:
    fields = get_list(params, "custom_fields")
    if not fields:
        return None
    if len(fields) > 4:
        raise invalid_request("An invoice can have at most 4 custom fields.", param="custom_fields")
    result = []
    for index, field in enumerate(fields):
        label = f"custom_fields[{index}]"
        if not isinstance(field, dict):
            raise invalid_request("Invalid hash", param=label)
        check_known(field, ("name", "value"), prefix=label)
        name = get_str(field, "name", required=True, max_length=40, label=f"{label}[name]")
        value = get_str(field, "value", required=True, max_length=140, label=f"{label}[value]")
        result.append({"name": name, "value": value})
    return result


def _apply_terms(ctx: RequestContext, invoice: dict[str, Any], params: Params) -> None:
    """collection_method with days_until_due/due_date, validated as Stripe does."""
    method = (
        get_enum(params, "collection_method", COLLECTION_METHODS) or invoice["collection_method"]
    )
    days = get_int(params, "days_until_due", minimum=0, maximum=3650)
    due_date = get_int(params, "due_date")
    if days is not None and due_date is not None:
        raise parameters_exclusive("days_until_due", "due_date")
    if days is not None:
        invoice["_days_until_due"], invoice["due_date"] = days, invoice["created"] + days * DAY
    elif due_date is not None:
        if due_date < ctx.store.now():
            raise invalid_request("The due_date must be in the future.", param="due_date")
        invoice["_days_until_due"], invoice["due_date"] = None, due_date
    elif method == "charge_automatically":
        invoice["_days_until_due"], invoice["due_date"] = None, None
    if method == "send_invoice" and invoice["due_date"] is None:
        raise invalid_request(
            "Invoices with collection_method=send_invoice need either days_until_due or due_date.",
            code="parameter_missing",
            param="days_until_due",
        )
    if method == "charge_automatically" and invoice["due_date"] is not None:
        raise invalid_request(
            "days_until_due and due_date can only be set when collection_method is send_invoice.",
            param="days_until_due" if days is not None else "due_date",
        )
    invoice["collection_method"] = method


def _apply_editable(ctx: RequestContext, invoice: dict[str, Any], params: Params) -> None:
    for field in ("description", "footer", "statement_descriptor"):
        if field in params:
            invoice[field] = get_str(params, field) or None
    if "auto_advance" in params:
        invoice["auto_advance"] = bool(get_bool(params, "auto_advance"))
    if "custom_fields" in params:
        invoice["custom_fields"] = _custom_fields(params)
    if {"collection_method", "days_until_due", "due_date"} & params.keys():
        _apply_terms(ctx, invoice, params)
    invoice["metadata"] = apply_metadata(invoice["metadata"], get_metadata(params), replace=False)
    created = invoice["created"]
    draft_auto = invoice["status"] == "draft" and invoice["auto_advance"]
    invoice["automatically_finalizes_at"] = created + 3600 if draft_auto else None


def create_invoice(ctx: RequestContext, params: Params) -> dict[str, Any]:
    from .customers import live_customer  # customers imports this module for its sync hook

    check_known(params, CREATE_PARAMS)
    store = ctx.store
    customer_id = get_str(params, "customer", required=True)
    customer = live_customer(ctx, customer_id, param="customer")
    currency = get_currency(params) or customer["currency"] or "usd"
    tax = get_hash(params, "automatic_tax", ("enabled",))
    if tax and get_bool(tax, "enabled", label="automatic_tax[enabled]"):
        raise invalid_request(
            "Automatic tax is not available in the Ledgerline Stripe simulator.",
            param="automatic_tax[enabled]",
        )
    include_pending = (
        get_enum(params, "pending_invoice_items_behavior", ("exclude", "include")) == "include"
    )
    invoice = blank_invoice(ctx.store, customer, currency)
    if "payment_settings" in params:
        settings = (
            get_hash(
                params,
                "payment_settings",
                ("default_mandate", "payment_method_options", "payment_method_types"),
            )
            or {}
        )
        invoice["payment_settings"].update(settings)
    _apply_editable(ctx, invoice, params)
    with store.lock:
        if include_pending:
            for item in store.all("invoiceitem"):
                if (
                    item["customer"] == customer["id"]
                    and item["invoice"] is None
                    and item["currency"] == currency
                ):
                    item["invoice"] = invoice["id"]
                    invoice["_item_ids"].append(item["id"])
        refresh_invoice(store, invoice)
        invoice["webhooks_delivered_at"] = invoice["created"]
        store.insert(invoice)
    emit(ctx, "invoice.created", invoice)
    return public(invoice)


def retrieve_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, ())
    return public(ctx.store.get("invoice", invoice_id))


def update_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, UPDATABLE["draft"])
    invoice = ctx.store.get("invoice", invoice_id)
    allowed = UPDATABLE[invoice["status"]]
    for name in params:
        if name != "expand" and name not in allowed:
            raise invalid_request(
                f"You can only update {', '.join(sorted(allowed))} on an invoice with status "
                f"{invoice['status']}; {name} cannot be changed.",
                code="invoice_not_editable",
                param=name,
            )
    before = public(invoice)
    update_atomically(invoice, lambda draft: _apply_editable(ctx, draft, params))
    refresh_invoice(ctx.store, invoice)
    previous = {k: v for k, v in before.items() if invoice.get(k) != v}
    if previous:
        emit(ctx, "invoice.updated", invoice, previous_attributes=previous)
    return public(invoice)


def delete_invoice(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, ())
    store = ctx.store
    invoice = store.get("invoice", invoice_id)
    if invoice["status"] != "draft":
        raise invalid_state(
            f"You can only delete draft invoices; this one is {invoice['status']}. "
            "Void a finalized invoice instead."
        )
    # Stripe deletes the draft's line items with it; none fall back to pending.
    for item_id in invoice["_item_ids"]:
        store.remove("invoiceitem", item_id)
    store.remove("invoice", invoice_id)
    emit(ctx, "invoice.deleted", invoice)
    return {"id": invoice_id, "object": "invoice", "deleted": True}


def list_invoices(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(
        params, {*LIST_PARAMS, "customer", "status", "collection_method", "created", "due_date"}
    )
    invoices = ctx.store.all("invoice")
    customer = get_str(params, "customer")
    if customer:
        invoices = [i for i in invoices if i["customer"] == customer]
    status = get_enum(params, "status", STATUSES)
    if status:
        invoices = [i for i in invoices if i["status"] == status]
    method = get_enum(params, "collection_method", COLLECTION_METHODS)
    if method:
        invoices = [i for i in invoices if i["collection_method"] == method]
    invoices = filter_range(invoices, params, "created")
    invoices = filter_range(invoices, params, "due_date")
    return paginate(ctx.store, invoices, params, url="/v1/invoices", noun="invoice")


def list_invoice_lines(ctx: RequestContext, params: Params, invoice_id: str) -> dict[str, Any]:
    check_known(params, LIST_PARAMS)
    invoice = ctx.store.get("invoice", invoice_id)
    lines = invoice_lines(ctx.store, invoice)
    for position, line in enumerate(lines):
        line["_seq"] = position
    positions = {line["id"]: line["_seq"] for line in lines}
    return paginate(
        ctx.store,
        lines,
        params,
        url=f"/v1/invoices/{invoice_id}/lines",
        noun="invoice line item",
        newest_first=False,
        position=positions.get,
    )


ROUTES = [
    ("POST", "/v1/invoices", create_invoice),
    ("GET", "/v1/invoices", list_invoices),
    ("GET", "/v1/invoices/{invoice_id}", retrieve_invoice),
    ("POST", "/v1/invoices/{invoice_id}", update_invoice),
    ("DELETE", "/v1/invoices/{invoice_id}", delete_invoice),
    ("GET", "/v1/invoices/{invoice_id}/lines", list_invoice_lines),
]
