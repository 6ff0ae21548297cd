"""Thread-safe in-memory objects, kept as the JSON dicts Stripe would return.

Keys starting with "_" are the simulator's own bookkeeping and never leave the store.
Every API operation runs under `store.lock` (an RLock), so a state change such as
finalize-then-number is atomic with respect to other requests.
"""

from __future__ import annotations

import copy
import secrets
import string
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .errors import invalid_request, resource_missing

# object type -> id prefix
PREFIXES: dict[str, str] = {
    "customer": "cus",
    "invoiceitem": "ii",
    "invoice": "in",
    "line_item": "il",
    "credit_note": "cn",
    "credit_note_line_item": "cnli",
    "event": "evt",
    "webhook_endpoint": "we",
    "payment_intent": "pi",
    "charge": "ch",
    "invoice_payment": "inpay",
    "refund": "re",
    "dispute": "dp",
    "customer_balance_transaction": "cbtxn",
}
# Objects that exist only inside a parent and have no table of their own.
NESTED_KINDS = {"line_item", "credit_note_line_item", "customer_balance_transaction"}
PLURALS = {
    "customer": "customers",
    "invoiceitem": "invoiceitems",
    "invoice": "invoices",
    "credit_note": "credit_notes",
    "event": "events",
    "webhook_endpoint": "webhook_endpoints",
    "payment_intent": "payment_intents",
    "charge": "charges",
    "invoice_payment": "invoice_payments",
    "refund": "refunds",
    "dispute": "disputes",
}
NOUNS = {"invoiceitem": "invoiceitem", "webhook_endpoint": "webhook endpoint"}
_ID_ALPHABET = string.ascii_letters + string.digits


class Clock:
    """Wall-clock seconds plus an offset, so tests and the demo can move time forward."""

    def __init__(self) -> None:
        self.offset = 0

    def now(self) -> int:
        return int(time.time()) + self.offset


def kind_of(name: str) -> str:
    """Accept "invoice", "invoices" or "Invoice" for counts and lookups."""
    name = name.lower()
    for kind, plural in PLURALS.items():
        if name in (kind, plural):
            return kind
    raise KeyError(f"unknown object type {name!r}; one of {sorted(PLURALS)}")


class Store:
    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self.base_url = ""
        self._event_listeners: list[Callable[[dict[str, Any]], None]] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._tables: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in PLURALS}
            self._seq = 0
            self.clock.offset = 0

    def now(self) -> int:
        return self.clock.now()

    def new_id(self, kind: str) -> str:
        token = "".join(secrets.choice(_ID_ALPHABET) for _ in range(24))
        return f"{PREFIXES[kind]}_{token}"

    def insert(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._seq += 1
            obj["_seq"] = self._seq
            self._tables[obj["object"]][obj["id"]] = obj
            return obj

    def get(self, kind: str, object_id: str, *, param: str | None = None) -> dict[str, Any]:
        obj = self._tables[kind].get(object_id) if isinstance(object_id, str) else None
        if obj is None:
            raise resource_missing(NOUNS.get(kind, kind), str(object_id), param=param)
        return obj

    def find(self, object_id: str) -> dict[str, Any] | None:
        prefix = object_id.split("_", 1)[0]
        for kind, kind_prefix in PREFIXES.items():
            if kind_prefix == prefix and kind not in NESTED_KINDS:
                return self._tables[kind].get(object_id)
        return None

    def all(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self._tables[kind].values())

    def remove(self, kind: str, object_id: str) -> None:
        with self.lock:
            self._tables[kind].pop(object_id, None)

    def count(self, kind: str) -> int:
        with self.lock:
            table = self._tables[kind_of(kind)]
            return sum(1 for obj in table.values() if not obj.get("deleted"))

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {PLURALS[kind]: self.count(kind) for kind in PLURALS}

    # Events: created by events.emit, fanned out to listeners (the webhook dispatcher).
    def add_event_listener(self, listener: Callable[[dict[str, Any]], None]) -> None:
        self._event_listeners.append(listener)

    def publish(self, event: dict[str, Any]) -> None:
        for listener in self._event_listeners:
            listener(event)


def update_atomically(obj: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> None:
    """Apply `change` to a copy and keep it only if no error is raised: like Stripe, a
    rejected update changes nothing, even when its first parameters were valid."""
    draft = copy.deepcopy(obj)
    change(draft)
    obj.clear()
    obj.update(draft)


def public(obj: Any) -> Any:
    """A deep copy without the simulator's private keys: what goes over the wire."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return copy.copy(obj)


def _invoice_payments(store: Store, invoice: dict[str, Any]) -> dict[str, Any]:
    payments = [public(p) for p in store.all("invoice_payment") if p["invoice"] == invoice["id"]]
    payments.sort(key=lambda p: p["created"], reverse=True)
    return {
        "object": "list",
        "data": payments[:10],
        "has_more": len(payments) > 10,
        "url": f"/v1/invoices/{invoice['id']}/payments",
    }


# Fields the pinned version returns only when asked for with `expand[]` (Stripe calls
# them includable), never in event payloads: (object, field) -> value from the stored
# object, whose private `_` keys hold what the wire leaves out.
INCLUDABLE: dict[tuple[str, str], Callable[[Store, dict[str, Any]], Any]] = {
    ("invoice", "amount_paid_off_stripe"): lambda _store, inv: inv.get("_amount_paid_off_stripe"),
    ("invoice", "payments"): _invoice_payments,
}


def expand(store: Store, body: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """Replace ids by objects along `expand[]` paths such as "customer" or "data.invoice"."""
    for path in paths:
        if path.count(".") > 3:
            raise invalid_request(
                f"You cannot expand more than 4 levels of a property: {path}", param="expand"
            )
        _expand_path(store, body, path.split("."), path)
    return body


def _expand_path(store: Store, node: Any, parts: list[str], path: str) -> None:
    if isinstance(node, list):
        for item in node:
            _expand_path(store, item, parts, path)
        return
    if not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    include = INCLUDABLE.get((node.get("object"), head))
    stored = store.find(str(node.get("id") or "")) if include is not None else None
    if stored is not None and head not in node:
        node[head] = include(store, stored)
        if rest:
            _expand_path(store, node[head], rest, path)
        return
    if head not in node:
        raise invalid_request(
            f"This property cannot be expanded ({path}). (The simulator expands id fields of "
            "stored objects only.)",
            param="expand",
        )
    value = node[head]
    if rest:
        _expand_path(store, value, rest, path)
    elif isinstance(value, str):
        target = store.find(value)
        if target is None:
            raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
        node[head] = public(target)
    elif value is not None and not isinstance(value, dict):
        raise invalid_request(f"This property cannot be expanded ({path}).", param="expand")
