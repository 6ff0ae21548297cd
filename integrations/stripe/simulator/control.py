"""The simulator's own control API under /_sim/ (no auth; loopback only).

  POST   /_sim/reset                              forget everything
  GET    /_sim/state                              counts per object type, log sizes
  GET    /_sim/requests                           the API request log
  GET    /_sim/faults  POST /_sim/faults  DELETE  see faults.py for the JSON fields
  POST   /_sim/invoices/{id}/customer_pay         the customer pays by card
  POST   /_sim/charges/{id}/dispute               the bank disputes a charge
                                                  ({"reason": ..., "amount": ...})
  GET    /_sim/webhook_deliveries                 every delivery attempt
  POST   /_sim/webhook_policy                     retry delays, max attempts, timeout
  POST   /_sim/clock                              {"advance": seconds}: move time forward
  GET    /_sim/hosted/{id}                        a minimal hosted invoice page
Bodies are JSON (or form-encoded); answers are JSON.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from .errors import StripeApiError, invalid_request

if TYPE_CHECKING:
    from .server import Response, StripeSimulator

# Currencies whose amounts have no minor unit, and those with three decimals.
ZERO_DECIMAL = {
    "bif",
    "clp",
    "djf",
    "gnf",
    "jpy",
    "kmf",
    "krw",
    "mga",
    "pyg",
    "rwf",
    "ugx",
    "vnd",
    "vuv",
    "xaf",
    "xof",
    "xpf",
}
THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}


def _body(raw: bytes, headers: Any) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if "json" in headers.get("Content-Type", "") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise invalid_request(f"Invalid JSON body: {exc}") from None
        if not isinstance(data, dict):
            raise invalid_request("The JSON body must be an object.")
        return data
    return dict(parse_qsl(text))


def handle(sim: StripeSimulator, method: str, target: str, headers: Any, raw: bytes) -> Response:
    from .server import json_response

    parts = urlsplit(target)
    path = parts.path.rstrip("/")
    query = dict(parse_qsl(parts.query))
    try:
        body = _body(raw, headers) if method == "POST" else {}
        return _route(sim, method, path, query, body)
    except StripeApiError as err:
        return json_response(err.status, err.body())
    except (TypeError, ValueError) as exc:
        return json_response(400, invalid_request(str(exc)).body())


def _route(sim: StripeSimulator, method: str, path: str, query: dict, body: dict) -> Response:
    from .server import Response, json_response

    if (method, path) == ("POST", "/_sim/reset"):
        sim.reset()
        return json_response(200, {"reset": True})
    if (method, path) == ("GET", "/_sim/state"):
        return json_response(200, sim.state())
    if (method, path) == ("GET", "/_sim/requests"):
        log = sim.requests()
        if query.get("path"):
            log = [entry for entry in log if entry["path"].startswith(query["path"])]
        return json_response(200, {"object": "list", "data": log})
    if path == "/_sim/faults":
        if method == "POST":
            sim.inject_fault(**body)
        elif method == "DELETE":
            sim.faults.clear()
        return json_response(200, {"object": "list", "data": sim.faults.pending()})
    if (method, path) == ("GET", "/_sim/webhook_deliveries"):
        attempts = sim.webhook_deliveries()
        for name in ("event", "endpoint"):
            if query.get(name):
                attempts = [a for a in attempts if a[name] == query[name]]
        return json_response(200, {"object": "list", "data": attempts})
    if (method, path) == ("POST", "/_sim/webhook_policy"):
        policy = sim.webhooks.policy
        for name, value in body.items():
            if name not in {f.name for f in dataclasses.fields(policy)}:
                raise invalid_request(f"Unknown webhook policy field: {name}")
            setattr(policy, name, type(getattr(policy, name))(value))
        return json_response(200, dataclasses.asdict(policy))
    if (method, path) == ("POST", "/_sim/clock"):
        with sim.store.lock:
            sim.store.clock.offset += int(body.get("advance", 0))
        return json_response(200, {"now": sim.store.now(), "offset": sim.store.clock.offset})
    paid = re.fullmatch(r"/_sim/invoices/([^/]+)/customer_pay", path)
    if paid and method == "POST":
        invoice = sim.customer_pay(paid.group(1), body.get("payment_method") or "pm_card_visa")
        if query.get("redirect"):
            return Response(303, b"", {"Location": f"/_sim/hosted/{invoice['id']}"})
        return json_response(200, invoice)
    disputed = re.fullmatch(r"/_sim/charges/([^/]+)/dispute", path)
    if disputed and method == "POST":
        amount = body.get("amount")
        dispute = sim.open_dispute(
            disputed.group(1),
            reason=body.get("reason") or "fraudulent",
            amount=int(amount) if amount not in (None, "") else None,
        )
        return json_response(200, dispute)
    closed = re.fullmatch(r"/_sim/disputes/([^/]+)/close", path)
    if closed and method == "POST":
        return json_response(
            200, sim.close_dispute(closed.group(1), won=body.get("won") in (True, "true"))
        )
    hosted = re.fullmatch(r"/_sim/hosted/([^/]+)", path)
    if hosted and method == "GET":
        return Response(
            200,
            _hosted_page(sim, hosted.group(1)).encode(),
            content_type="text/html; charset=utf-8",
        )
    raise invalid_request(f"Unrecognized simulator URL ({method}: {path}).", status=404)


def format_amount(amount: int, currency: str) -> str:
    places = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    value = amount / 10**places if places else amount
    return f"{value:,.{places}f} {currency.upper()}"


def _hosted_page(sim: StripeSimulator, invoice_id: str) -> str:
    """Stands in for invoice.stripe.com in the demo: the invoice and a Pay button."""
    with sim.store.lock:
        invoice = sim.store.get("invoice", invoice_id)
        lines = list(invoice["lines"]["data"])
        currency = invoice["currency"]
        rows = "".join(
            f"<tr><td>{html.escape(line['description'] or '')}</td>"
            f"<td>{line['quantity']}</td><td>{format_amount(line['amount'], currency)}</td></tr>"
            for line in lines
        )
        pay = (
            f'<form method="post" action="/_sim/invoices/{html.escape(invoice_id)}/customer_pay'
            '?redirect=1"><button>Pay by card (pm_card_visa)</button></form>'
            if invoice["status"] in ("open", "uncollectible")
            else ""
        )
        return (
            "<!doctype html><meta charset=utf-8><title>Invoice "
            f"{html.escape(invoice['number'] or invoice_id)}</title>"
            f"<h1>Invoice {html.escape(invoice['number'] or '(draft)')}</h1>"
            f"<p>{html.escape(invoice['customer_name'] or '')} - status "
            f"<b>{invoice['status']}</b></p>"
            f"<table><tr><th>Description</th><th>Qty</th><th>Amount</th></tr>{rows}</table>"
            f"<p>Amount due: {format_amount(invoice['amount_due'], currency)}; remaining: "
            f"{format_amount(invoice['amount_remaining'], currency)}</p>{pay}"
            "<p><small>Ledgerline Stripe simulator: no real payment is made.</small></p>"
        )
