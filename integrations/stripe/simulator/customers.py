"""Customers: create, retrieve, update, list, delete."""

from __future__ import annotations

import re
import secrets
import string
from typing import Any

from .context import RequestContext
from .errors import invalid_request, parameter_missing
from .events import emit
from .invoices import sync_customer_details
from .listing import LIST_PARAMS, filter_range, paginate
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_enum,
    get_hash,
    get_int,
    get_list,
    get_metadata,
    get_str,
)
from .store import public, update_atomically

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
TAX_EXEMPT = ("none", "exempt", "reverse")
CUSTOMER_PARAMS = {
    "address",
    "balance",
    "business_name",
    "description",
    "email",
    "individual_name",
    "invoice_prefix",
    "invoice_settings",
    "metadata",
    "name",
    "next_invoice_sequence",
    "phone",
    "preferred_locales",
    "shipping",
    "tax_exempt",
}


def _address(params: Params, name: str) -> dict[str, Any] | None:
    given = get_hash(params, name, ADDRESS_FIELDS)
    if given is None:
        return None
    return {field: given.get(field) or None for field in ADDRESS_FIELDS}


def _shipping(params: Params) -> dict[str, Any] | None:
    given = get_hash(params, "shipping", ("address", "name", "phone"))
    if given is None:
        return None
    if not given.get("name"):
        raise parameter_missing("shipping[name]")
    address = _address(given, "address")
    if address is None:
        raise parameter_missing("shipping[address]")
    return {"address": address, "name": given["name"], "phone": given.get("phone") or None}


def _invoice_settings(params: Params, current: dict[str, Any]) -> dict[str, Any]:
    given = get_hash(
        params, "invoice_settings", ("custom_fields", "default_payment_method", "footer")
    )
    if given is None:
        return current
    settings = dict(current)
    if "custom_fields" in given:
        fields = get_list(given, "custom_fields") or []
        settings["custom_fields"] = [
            {"name": f.get("name"), "value": f.get("value")} for f in fields
        ] or None
    if "footer" in given:
        settings["footer"] = given["footer"] or None
    if "default_payment_method" in given:
        settings["default_payment_method"] = given["default_payment_method"] or None
    return settings


def _random_invoice_prefix() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))


def _apply_fields(customer: dict[str, Any], params: Params) -> None:
    for field in ("name", "email", "description", "phone", "business_name", "individual_name"):
        if field in params:
            customer[field] = get_str(params, field) or None
    if "address" in params:
        customer["address"] = _address(params, "address")
    if "shipping" in params:
        customer["shipping"] = _shipping(params)
    if "tax_exempt" in params:
        customer["tax_exempt"] = get_enum(params, "tax_exempt", TAX_EXEMPT, default="none")
    if "preferred_locales" in params:
        customer["preferred_locales"] = get_list(params, "preferred_locales") or []
    if "balance" in params:
        customer["balance"] = get_int(params, "balance") or 0
    if "invoice_prefix" in params:
        prefix = get_str(params, "invoice_prefix") or ""
        if not re.fullmatch(r"[A-Z0-9]{3,12}", prefix):
            raise invalid_request(
                "Invoice prefix must be 3-12 uppercase letters or numbers.",
                param="invoice_prefix",
            )
        customer["invoice_prefix"] = prefix
    if "next_invoice_sequence" in params:
        customer["next_invoice_sequence"] = get_int(params, "next_invoice_sequence", minimum=1)
    customer["invoice_settings"] = _invoice_settings(params, customer["invoice_settings"])
    customer["metadata"] = apply_metadata(customer["metadata"], get_metadata(params), replace=False)


def create_customer(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, CUSTOMER_PARAMS)
    store = ctx.store
    customer: dict[str, Any] = {
        "id": store.new_id("customer"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "created": store.now(),
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_prefix": _random_invoice_prefix(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    _apply_fields(customer, params)
    store.insert(customer)
    emit(ctx, "customer.created", customer)
    return public(customer)


def _deleted_stub(customer: dict[str, Any]) -> dict[str, Any]:
    return {"id": customer["id"], "object": "customer", "deleted": True}


def retrieve_customer(ctx: RequestContext, params: Params, customer_id: str) -> dict[str, Any]:
    check_known(params, ())
    customer = ctx.store.get("customer", customer_id)
    return _deleted_stub(customer) if customer.get("deleted") else public(customer)


def live_customer(ctx: RequestContext, customer_id: str, *, param: str | None = None) -> dict:
    customer = ctx.store.get("customer", customer_id, param=param)
    if customer.get("deleted"):
        raise invalid_request(
            f"No such customer: '{customer_id}' (it was deleted)",
            code="resource_missing",
            param=param or "id",
            status=400 if param else 404,
        )
    return customer


def update_customer(ctx: RequestContext, params: Params, customer_id: str) -> dict[str, Any]:
    check_known(params, CUSTOMER_PARAMS)
    customer = live_customer(ctx, customer_id)
    before = public(customer)
    update_atomically(customer, lambda draft: _apply_fields(draft, params))
    previous = {k: v for k, v in before.items() if customer.get(k) != v}
    if previous:
        sync_customer_details(ctx.store, customer)
        emit(ctx, "customer.updated", customer, previous_attributes=previous)
    return public(customer)


def delete_customer(ctx: RequestContext, params: Params, customer_id: str) -> dict[str, Any]:
    check_known(params, ())
    customer = live_customer(ctx, customer_id)
    customer["deleted"] = True
    emit(ctx, "customer.deleted", customer)
    return _deleted_stub(customer)


def list_customers(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, {*LIST_PARAMS, "email", "created"})
    customers = [c for c in ctx.store.all("customer") if not c.get("deleted")]
    email = get_str(params, "email", max_length=512)
    if email:
        customers = [c for c in customers if c["email"] == email]
    customers = filter_range(customers, params, "created")
    return paginate(ctx.store, customers, params, url="/v1/customers", noun="customer")


ROUTES = [
    ("POST", "/v1/customers", create_customer),
    ("GET", "/v1/customers", list_customers),
    ("GET", "/v1/customers/{customer_id}", retrieve_customer),
    ("POST", "/v1/customers/{customer_id}", update_customer),
    ("DELETE", "/v1/customers/{customer_id}", delete_customer),
]
