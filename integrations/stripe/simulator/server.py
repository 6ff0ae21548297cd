"""The HTTP side: routing, auth, form decoding, idempotency, faults, request log.

`StripeSimulator` owns one `ThreadingHTTPServer` bound to a loopback address. API calls
live under /v1 and need `Authorization: Bearer sk_test_...`; the control API under /_sim
needs no key (see control.py).
"""

from __future__ import annotations

import base64
import collections
import ipaddress
import json
import logging
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import (
    control,
    credit_notes,
    customers,
    events,
    invoice_actions,
    invoice_items,
    invoices,
    payments,
    refunds,
    webhooks,
)
from .context import API_VERSION, RequestContext
from .errors import StripeApiError, api_error, invalid_request
from .faults import Fault, FaultPlan
from .idempotency import IdempotencyCache, StoredResponse
from .params import decode_form, get_expand
from .store import Store, expand, kind_of, public
from .webhooks import WebhookDispatcher, WebhookPolicy

logger = logging.getLogger("ledgerline.stripe_simulator")

ROUTES = [
    *customers.ROUTES,
    *invoice_items.ROUTES,
    *invoice_actions.ROUTES,
    *invoices.ROUTES,
    *credit_notes.ROUTES,
    *payments.ROUTES,
    *refunds.ROUTES,
    *events.ROUTES,
    *webhooks.ROUTES,
]
API_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")
REQUEST_LOG_SIZE = 10_000


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    drop_after: float | None = None  # close without answering, after this many seconds


def json_response(status: int, payload: Any, **headers: str) -> Response:
    return Response(status, json.dumps(payload, indent=2).encode(), dict(headers))


def _compile(routes: list) -> list[tuple[str, re.Pattern[str], Any]]:
    compiled = []
    for method, template, handler in routes:
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        compiled.append((method, re.compile(f"^{pattern}$"), handler))
    return compiled


class StripeSimulator:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, webhook_policy: WebhookPolicy | None = None
    ) -> None:
        address = socket.gethostbyname(host)
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f"The Stripe simulator only binds loopback addresses, not {host!r}")
        self.store = Store()
        self.webhooks = WebhookDispatcher(self.store, webhook_policy)
        self.idempotency = IdempotencyCache()
        self.faults = FaultPlan()
        self.routes = _compile(ROUTES)
        self._request_log: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=REQUEST_LOG_SIZE
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._httpd = ThreadingHTTPServer((address, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.simulator = self  # type: ignore[attr-defined]
        self.host, self.port = self._httpd.server_address[:2]
        self.store.base_url = self.url

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # Lifecycle
    def start(self) -> StripeSimulator:
        """Serve from a background thread (tests, in-process demo)."""
        self.webhooks.start()
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.1,), name="stripe-sim-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until `stop()` or KeyboardInterrupt."""
        self.webhooks.start()
        try:
            self._httpd.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self.webhooks.stop()

    # Python control API (the same as /_sim over HTTP)
    def reset(self) -> None:
        with self.store.lock:
            self.store.reset()
            self.idempotency.reset()
            self.faults.clear()
            self.webhooks.reset()
            self._request_log.clear()

    def count(self, kind: str) -> int:
        return self.store.count(kind_of(kind))

    def state(self) -> dict[str, int]:
        return {
            **self.store.counts(),
            "requests": len(self._request_log),
            "webhook_delivery_attempts": len(self.webhooks.attempts()),
            "pending_faults": len(self.faults.pending()),
        }

    def requests(self) -> list[dict[str, Any]]:
        return [dict(entry) for entry in list(self._request_log)]

    def inject_fault(self, **spec: Any) -> Fault:
        fault = Fault(**spec)
        self.faults.add(fault)
        return fault

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        return self.webhooks.attempts()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.webhooks.wait_idle(timeout)

    def customer_pay(self, invoice_id: str, payment_method: str = "pm_card_visa") -> dict:
        """The customer pays an open invoice by card; raises StripeApiError on a decline."""
        ctx = RequestContext(self.store)
        with self.store.lock:
            invoice = self.store.get("invoice", invoice_id)
            payments.pay_invoice_by_card(ctx, invoice, payment_method)
            return public(invoice)

    def open_dispute(
        self, charge_id: str, reason: str = "fraudulent", amount: int | None = None
    ) -> dict:
        """The customer's bank disputes a charge: `charge.dispute.created`."""
        ctx = RequestContext(self.store)
        with self.store.lock:
            return refunds.open_dispute(ctx, charge_id, reason=reason, amount=amount)

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict:
        """The bank decides the dispute: `funds_reinstated` if won, then `closed`."""
        ctx = RequestContext(self.store)
        with self.store.lock:
            return refunds.close_dispute(ctx, dispute_id, won=won)

    # The API
    def handle_api(self, method: str, target: str, headers: Any, body: bytes) -> Response:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        request_id = f"req_{secrets.token_hex(7)}"
        idempotency_key = headers.get("Idempotency-Key") if method == "POST" else None
        entry: dict[str, Any] = {
            "id": request_id,
            "method": method,
            "path": path,
            "query": parts.query,
            "idempotency_key": idempotency_key,
            "stripe_version": headers.get("Stripe-Version"),
            "status": None,
            "replayed": False,
            "fault": None,
            "params": None,
            "at": time.time(),
        }
        self._request_log.append(entry)
        common = {
            "Request-Id": request_id,
            "Stripe-Version": entry["stripe_version"] or API_VERSION,
        }
        if idempotency_key:
            common["Idempotency-Key"] = idempotency_key
        try:
            response = self._api(method, path, parts.query, headers, body, entry)
        except StripeApiError as err:
            response = json_response(err.status, err.body())
        response.headers = {**common, **response.headers}
        entry["status"] = None if response.drop_after is not None else response.status
        return response

    def _api(
        self, method: str, path: str, query: str, headers: Any, body: bytes, entry: dict
    ) -> Response:
        api_key = _authenticate(headers.get("Authorization"))
        version = headers.get("Stripe-Version")
        if version and not re.match(r"\d{4}-\d{2}-\d{2}\b", version):
            raise invalid_request(f"Invalid Stripe API version: {version}")
        if version and version != API_VERSION:
            # Real Stripe serves every version; the simulator answers as one, so a client
            # pinned elsewhere must not be told it works.
            raise invalid_request(
                f"The simulator answers as API version {API_VERSION} only, not {version}."
            )
        if headers.get("Stripe-Account") or headers.get("Stripe-Context"):
            raise invalid_request("Connect (Stripe-Account/Stripe-Context) is not simulated.")
        fault = self.faults.take(method, path, "before")
        if fault is not None:
            entry["fault"] = fault.mode
            return _fault_response(fault)
        params = decode_form(query)
        if method == "POST":
            content_type = headers.get("Content-Type", "")
            if body and "application/x-www-form-urlencoded" not in content_type:
                raise invalid_request(
                    f"Invalid request: unsupported Content-Type {content_type}. The v1 API "
                    "takes application/x-www-form-urlencoded bodies."
                )
            params.update(decode_form(body.decode("utf-8")))
        entry["params"] = params
        handler, path_args = self._route(method, path)
        claim = None
        if entry["idempotency_key"]:
            claim = self.idempotency.claim(api_key, entry["idempotency_key"], method, path, params)
            if claim.replay is not None:
                entry["replayed"] = True
                stored = claim.replay
                return Response(
                    stored.status,
                    stored.body,
                    {"Idempotent-Replayed": "true", "Original-Request": stored.request_id},
                )
        saved: StoredResponse | None = None
        try:
            delay = self.faults.take(method, path, "during")
            if delay is not None:
                entry["fault"] = "delay"
                self._stopping.wait(delay.seconds)
            response = self._execute(handler, path_args, params, api_key, entry)
            # Saved once the endpoint began executing, errors included; not a refusal of
            # the parameters themselves, which may be corrected and sent with the same key.
            if not _validation_error(response):
                saved = StoredResponse(response.status, response.body, entry["id"])
        finally:
            if claim is not None:
                self.idempotency.finish(claim, saved)
        fault = self.faults.take(method, path, "after")
        if fault is not None:
            entry["fault"] = f"{fault.mode} (after executing)"
            return _fault_response(fault)
        return response

    def _route(self, method: str, path: str) -> tuple[Any, dict[str, str]]:
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, match.groupdict()
        raise invalid_request(
            f"Unrecognized request URL ({method}: {path}). The Ledgerline Stripe simulator "
            "implements customers, invoiceitems, invoices, credit_notes, payment_intents, "
            "charges, invoice_payments, refunds, disputes, events and webhook_endpoints.",
            status=404,
        )

    def _execute(self, handler, path_args: dict, params: dict, api_key: str, entry: dict):
        ctx = RequestContext(self.store, entry["id"], entry["idempotency_key"], api_key)
        try:
            with self.store.lock:
                body = handler(ctx, params, **path_args)
                body = expand(self.store, body, get_expand(params))
            return json_response(200, body)
        except StripeApiError as err:
            return json_response(err.status, err.body())
        except Exception:
            logger.exception("Stripe simulator failed on %s %s", entry["method"], entry["path"])
            return json_response(500, api_error("The simulator hit an internal error.").body())


# Codes of errors raised while reading the parameters, before anything executes.
VALIDATION_CODES = {
    None,
    "parameter_missing",
    "parameter_unknown",
    "parameters_exclusive",
    "parameter_invalid_empty",
    "parameter_invalid_integer",
    "parameter_invalid_string",
    "url_invalid",
}


def _validation_error(response: Response) -> bool:
    if response.status != 400:
        return False
    try:
        error = json.loads(response.body)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return error.get("type") == "invalid_request_error" and error.get("code") in VALIDATION_CODES


def _authenticate(authorization: str | None) -> str:
    if not authorization:
        raise StripeApiError(
            401,
            "invalid_request_error",
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY').",
        )
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "basic":  # curl -u sk_test_...:
        try:
            credential = base64.b64decode(credential).decode().partition(":")[0]
        except ValueError:
            credential = ""
    elif scheme.lower() != "bearer":
        credential = ""
    if not API_KEY.match(credential.strip()):
        shown = f"{credential[:8]}****{credential[-4:]}" if len(credential) > 12 else "****"
        raise StripeApiError(
            401,
            "invalid_request_error",
            f"Invalid API Key provided: {shown}. The simulator accepts test-mode keys "
            "(sk_test_...) only.",
        )
    return credential.strip()


def _fault_response(fault: Fault) -> Response:
    if fault.mode == "error":
        err = fault.error()
        return json_response(err.status, err.body())
    return Response(drop_after=fault.seconds if fault.mode == "hang" else 0.0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle on, a keep-alive client
    # waits for the delayed ACK (~40 ms) on every request.
    disable_nagle_algorithm = True
    server_version = "LedgerlineStripeSimulator/1.0"

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        simulator: StripeSimulator = self.server.simulator  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        try:
            if path.startswith("/_sim/"):
                response = control.handle(simulator, method, self.path, self.headers, body)
            elif path.startswith("/v1/"):
                response = simulator.handle_api(method, self.path, self.headers, body)
            else:
                err = invalid_request(f"Unrecognized request URL ({method}: {path}).", status=404)
                response = json_response(404, err.body())
        except Exception:
            logger.exception("Stripe simulator failed on %s %s", method, path)
            response = json_response(500, api_error("The simulator hit an internal error.").body())
        if response.drop_after is not None:
            simulator._stopping.wait(response.drop_after)
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Path without the query string: list filters such as ?email= carry customer data.
        logger.debug("%s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        logger.debug("stripe simulator: " + format, *args)
