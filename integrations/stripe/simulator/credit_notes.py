"""Credit notes against finalized invoices.

As in Stripe, a credit note first reduces the invoice's amount_remaining (its
`pre_payment_amount`); any excess (`post_payment_amount`) must be allocated in full to
`out_of_band_amount` and/or `credit_amount` (the customer's balance). Refunds through a
credit note (`refund_amount`) are not simulated; refunds of the charge are (refunds.py).
An open invoice whose remaining amount is credited to zero becomes paid.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .context import RequestContext
from .errors import (
    SIMULATOR_NOTE,
    amount_too_large,
    invalid_request,
    invalid_state,
    parameter_missing,
    parameters_exclusive,
)
from .events import emit
from .invoices import mark_paid, refresh_invoice
from .listing import LIST_PARAMS, filter_range, paginate
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_decimal,
    get_enum,
    get_int,
    get_list,
    get_metadata,
    get_str,
)
from .store import public, update_atomically

REASONS = ("duplicate", "fraudulent", "order_change", "product_unsatisfactory")
LINE_TYPES = ("invoice_line_item", "custom_line_item")
LINE_PARAMS = (
    "amount",
    "description",
    "invoice_line_item",
    "metadata",
    "quantity",
    "type",
    "unit_amount",
    "unit_amount_decimal",
)
CREATE_PARAMS = {
    "amount",
    "credit_amount",
    "effective_at",
    "email_type",
    "invoice",
    "lines",
    "memo",
    "metadata",
    "out_of_band_amount",
    "reason",
    "refund_amount",
}


def _line(ctx: RequestContext, kind: str, amount: int, quantity: int | None, **fields) -> dict:
    unit = Decimal(amount) / quantity if quantity else None
    return {
        "id": ctx.store.new_id("credit_note_line_item"),
        "object": "credit_note_line_item",
        "amount": amount,
        "description": fields.get("description"),
        "discount_amount": 0,
        "discount_amounts": [],
        "invoice_line_item": fields.get("invoice_line_item"),
        "livemode": False,
        "metadata": fields.get("metadata") or {},
        "pretax_credit_amounts": [],
        "quantity": quantity,
        "tax_rates": [],
        "taxes": [],
        "type": kind,
        "unit_amount": int(unit) if unit is not None and unit == int(unit) else None,
        "unit_amount_decimal": format(unit.normalize(), "f") if unit is not None else None,
    }


def _credit_lines(ctx: RequestContext, invoice: dict, specs: list) -> tuple[list, dict]:
    """Credit note lines plus the amount credited per invoice line by this note."""
    items_by_line = {
        item["_line_id"]: item
        for item in (ctx.store.get("invoiceitem", i) for i in invoice["_item_ids"])
    }
    lines, per_line = [], {}
    for index, spec in enumerate(specs):
        label = f"lines[{index}]"
        if not isinstance(spec, dict):
            raise invalid_request("Invalid hash", param=label)
        check_known(spec, LINE_PARAMS, prefix=label)
        kind = get_enum(spec, "type", LINE_TYPES)
        if kind is None:
            raise parameter_missing(f"{label}[type]")
        amount = get_int(spec, "amount", minimum=0, label=f"{label}[amount]")
        quantity = get_int(spec, "quantity", minimum=1, label=f"{label}[quantity]")
        metadata = apply_metadata({}, get_metadata(spec), replace=True)
        if kind == "invoice_line_item":
            line_id = get_str(
                spec, "invoice_line_item", required=True, label=f"{label}[invoice_line_item]"
            )
            item = items_by_line.get(line_id)
            if item is None:
                raise invalid_request(
                    f"No such invoice line item on invoice {invoice['id']}: '{line_id}'",
                    code="resource_missing",
                    param=f"{label}[invoice_line_item]",
                )
            if amount is not None and quantity is not None:
                raise parameters_exclusive(f"{label}[amount]", f"{label}[quantity]")
            if amount is None and quantity is None:
                raise parameter_missing(
                    f"{label}[amount]", "Pass amount or quantity to credit an invoice line item."
                )
            if quantity is not None:
                unit = Decimal(item["pricing"]["unit_amount_decimal"])
                amount = int((unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            credited = invoice["_credited_by_line"].get(line_id, 0) + per_line.get(line_id, 0)
            if amount > item["amount"] - credited:
                raise amount_too_large(
                    f"The amount to credit ({amount}) is more than what is left to credit on "
                    f"line {line_id} ({item['amount'] - credited}).",
                    param=f"{label}[amount]",
                )
            per_line[line_id] = per_line.get(line_id, 0) + amount
            lines.append(
                _line(
                    ctx,
                    kind,
                    amount,
                    quantity,
                    description=item["description"],
                    invoice_line_item=line_id,
                    metadata=metadata,
                )
            )
        else:
            description = get_str(spec, "description", required=True, label=f"{label}[description]")
            unit = get_decimal(spec, "unit_amount_decimal", label=f"{label}[unit_amount_decimal]")
            if unit is None:
                unit_int = get_int(
                    spec, "unit_amount", required=True, minimum=0, label=f"{label}[unit_amount]"
                )
                unit = Decimal(unit_int)
            quantity = quantity or 1
            amount = int((unit * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            lines.append(
                _line(ctx, kind, amount, quantity, description=description, metadata=metadata)
            )
    return lines, per_line


def create_credit_note(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, CREATE_PARAMS)
    store = ctx.store
    invoice = store.get("invoice", get_str(params, "invoice", required=True), param="invoice")
    if invoice["status"] not in ("open", "paid", "uncollectible"):
        raise invalid_state(
            f"Credit notes can only be issued for finalized invoices that are not void; "
            f"invoice {invoice['id']} is {invoice['status']}."
        )
    if get_int(params, "refund_amount"):
        raise invalid_request(
            f"refund_amount: refunds are not simulated ({SIMULATOR_NOTE}).", param="refund_amount"
        )
    amount = get_int(params, "amount", minimum=1)
    specs = get_list(params, "lines")
    if amount is None and not specs:
        raise parameter_missing("amount", "You must pass either amount or lines.")
    lines, per_line = _credit_lines(ctx, invoice, specs or [])
    total = sum(line["amount"] for line in lines) if specs else amount
    if specs and amount is not None and amount != total:
        raise invalid_request(
            f"amount ({amount}) must equal the sum of the lines ({total}).", param="amount"
        )
    if total <= 0:
        raise invalid_request(
            "The credit note total must be positive.", code="amount_too_small", param="amount"
        )
    remaining = invoice["amount_remaining"] if invoice["status"] != "paid" else 0
    paid_creditable = invoice["amount_paid"] - invoice["post_payment_credit_notes_amount"]
    pre = min(total, remaining)
    post = total - pre
    if post > paid_creditable:
        raise amount_too_large(
            f"The credit note total ({total}) is more than invoice {invoice['id']} has left to "
            f"credit: {remaining} remaining plus {paid_creditable} paid and not yet credited."
        )
    out_of_band = get_int(params, "out_of_band_amount", minimum=0) or 0
    credit = get_int(params, "credit_amount", minimum=0) or 0
    if out_of_band + credit != post:
        raise invalid_request(
            f"The sum of out_of_band_amount, credit_amount and refund_amount "
            f"({out_of_band + credit}) must equal the credit note's post_payment_amount "
            f"({post}), the part above the invoice's amount_remaining ({remaining}).",
            param="out_of_band_amount" if out_of_band else "credit_amount",
        )
    customer = store.get("customer", invoice["customer"])
    invoice["_credit_note_count"] += 1
    note_id = store.new_id("credit_note")
    now = store.now()
    note = {
        "id": note_id,
        "object": "credit_note",
        "amount": total,
        "amount_shipping": 0,
        "created": now,
        "currency": invoice["currency"],
        "customer": invoice["customer"],
        "customer_account": None,
        "customer_balance_transaction": store.new_id("customer_balance_transaction")
        if credit
        else None,
        "discount_amount": 0,
        "discount_amounts": [],
        "effective_at": get_int(params, "effective_at") or now,
        "invoice": invoice["id"],
        "lines": {
            "object": "list",
            "data": lines[:10],
            "has_more": len(lines) > 10,
            "url": f"/v1/credit_notes/{note_id}/lines",
        },
        "livemode": False,
        "memo": get_str(params, "memo") or None,
        "metadata": apply_metadata({}, get_metadata(params), replace=True),
        "number": f"{invoice['number']}-CN-{invoice['_credit_note_count']:02d}",
        "out_of_band_amount": out_of_band or None,
        "pdf": f"{store.base_url}/_sim/credit_notes/{note_id}/pdf",
        "post_payment_amount": post,
        "pre_payment_amount": pre,
        "pretax_credit_amounts": [],
        "reason": get_enum(params, "reason", REASONS),
        "refunds": [],
        "shipping_cost": None,
        "status": "issued",
        "subtotal": total,
        "subtotal_excluding_tax": total,
        "total": total,
        "total_excluding_tax": total,
        "total_taxes": [],
        "type": "mixed" if pre and post else ("pre_payment" if pre else "post_payment"),
        "voided_at": None,
        "_lines": lines,
        "_per_line": per_line,
        "_credit_amount": credit,
    }
    before = public(invoice)
    invoice["pre_payment_credit_notes_amount"] += pre
    invoice["post_payment_credit_notes_amount"] += post
    for line_id, credited in per_line.items():
        invoice["_credited_by_line"][line_id] = (
            invoice["_credited_by_line"].get(line_id, 0) + credited
        )
    customer["balance"] -= credit
    refresh_invoice(store, invoice)
    store.insert(note)
    emit(ctx, "credit_note.created", note)
    emit(
        ctx,
        "invoice.updated",
        invoice,
        previous_attributes={k: v for k, v in before.items() if invoice.get(k) != v},
    )
    if pre and invoice["amount_remaining"] == 0 and invoice["status"] != "paid":
        mark_paid(ctx, invoice)
    return public(note)


def void_credit_note(ctx: RequestContext, params: Params, note_id: str) -> dict[str, Any]:
    check_known(params, ())
    store = ctx.store
    note = store.get("credit_note", note_id)
    if note["status"] != "issued":
        raise invalid_request(f"Credit note {note_id} is already void.")
    invoice = store.get("invoice", note["invoice"])
    if note["pre_payment_amount"] and invoice["status"] not in ("open", "uncollectible"):
        raise invalid_state(
            f"Credit note {note_id} reduced the amount due of invoice {invoice['id']}, which is "
            f"now {invoice['status']}; it can only be voided while the invoice is open."
        )
    invoice["pre_payment_credit_notes_amount"] -= note["pre_payment_amount"]
    invoice["post_payment_credit_notes_amount"] -= note["post_payment_amount"]
    for line_id, credited in note["_per_line"].items():
        invoice["_credited_by_line"][line_id] -= credited
    store.get("customer", invoice["customer"])["balance"] += note["_credit_amount"]
    refresh_invoice(store, invoice)
    note["status"] = "void"
    note["voided_at"] = store.now()
    emit(ctx, "credit_note.voided", note)
    emit(ctx, "invoice.updated", invoice)
    return public(note)


def update_credit_note(ctx: RequestContext, params: Params, note_id: str) -> dict[str, Any]:
    check_known(params, ("memo", "metadata"))
    note = ctx.store.get("credit_note", note_id)
    before = public(note)

    def change(draft: dict[str, Any]) -> None:
        if "memo" in params:
            draft["memo"] = get_str(params, "memo") or None
        draft["metadata"] = apply_metadata(draft["metadata"], get_metadata(params), replace=False)

    update_atomically(note, change)
    previous = {k: v for k, v in before.items() if note.get(k) != v}
    if previous:
        emit(ctx, "credit_note.updated", note, previous_attributes=previous)
    return public(note)


def retrieve_credit_note(ctx: RequestContext, params: Params, note_id: str) -> dict[str, Any]:
    check_known(params, ())
    return public(ctx.store.get("credit_note", note_id))


def list_credit_notes(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, {*LIST_PARAMS, "invoice", "customer", "created"})
    notes = ctx.store.all("credit_note")
    for field in ("invoice", "customer"):
        wanted = get_str(params, field)
        if wanted:
            notes = [n for n in notes if n[field] == wanted]
    notes = filter_range(notes, params, "created")
    return paginate(ctx.store, notes, params, url="/v1/credit_notes", noun="credit note")


def list_credit_note_lines(ctx: RequestContext, params: Params, note_id: str) -> dict[str, Any]:
    check_known(params, LIST_PARAMS)
    lines = ctx.store.get("credit_note", note_id)["_lines"]
    for position, line in enumerate(lines):
        line["_seq"] = position
    return paginate(
        ctx.store,
        lines,
        params,
        url=f"/v1/credit_notes/{note_id}/lines",
        noun="credit note line item",
        newest_first=False,
        position={line["id"]: line["_seq"] for line in lines}.get,
    )


ROUTES = [
    ("POST", "/v1/credit_notes", create_credit_note),
    ("GET", "/v1/credit_notes", list_credit_notes),
    ("GET", "/v1/credit_notes/{note_id}", retrieve_credit_note),
    ("POST", "/v1/credit_notes/{note_id}", update_credit_note),
    ("POST", "/v1/credit_notes/{note_id}/void", void_credit_note),
    ("GET", "/v1/credit_notes/{note_id}/lines", list_credit_note_lines),
]
