"""Webhook endpoints (Stripe's real API) and signed delivery with retries.

Each event is POSTed to every enabled endpoint whose `enabled_events` match, from one
background thread, with `Stripe-Signature: t=<ts>,v1=<hmac_sha256(secret, "t.payload")>`
so `stripe.Webhook.construct_event` verifies it. A non-2xx reply (redirects included, as
at Stripe) or a connection error is retried with exponential backoff up to
`max_attempts`; every attempt is recorded for `GET /_sim/webhook_deliveries`.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import http.client
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .context import API_VERSION, RequestContext
from .errors import invalid_request, parameter_missing
from .events import EVENT_TYPE, event_matches
from .listing import LIST_PARAMS, paginate
from .params import (
    Params,
    apply_metadata,
    check_known,
    get_bool,
    get_list,
    get_metadata,
    get_str,
)
from .store import Store, public, update_atomically

ENDPOINT_PARAMS = {"api_version", "description", "enabled_events", "metadata", "url"}


@dataclass
class WebhookPolicy:
    """Retry schedule. Stripe retries for days; tests shrink the delays to milliseconds."""

    initial_delay: float = 2.0
    multiplier: float = 2.0
    max_delay: float = 60.0
    max_attempts: int = 5
    timeout: float = 5.0

    def delay_after(self, attempt: int) -> float:
        return min(self.initial_delay * self.multiplier ** (attempt - 1), self.max_delay)


@dataclass(order=True)
class _Delivery:
    due: float
    order: int
    event_id: str = field(compare=False)
    endpoint_id: str = field(compare=False)
    generation: int = field(compare=False)
    attempt: int = field(compare=False, default=1)


def sign(payload: str, secret: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


class WebhookDispatcher:
    def __init__(self, store: Store, policy: WebhookPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or WebhookPolicy()
        self._queue: list[_Delivery] = []
        self._order = itertools.count()
        self._busy = 0
        self._wakeup = threading.Condition()
        self._attempts: list[dict[str, Any]] = []
        self._payloads: dict[str, str] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None
        # Bumped by reset(): an attempt already in flight then leaves no record or retry.
        self._generation = 0
        store.add_event_listener(self.enqueue)

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="stripe-sim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._wakeup:
            self._stopping = True
            self._wakeup.notify_all()
        if self._thread:
            self._thread.join(timeout=self.policy.timeout + 1)

    def reset(self) -> None:
        with self._wakeup:
            self._generation += 1
            self._queue.clear()
            self._attempts.clear()
            self._payloads.clear()
            self._wakeup.notify_all()

    def enqueue(self, event: dict[str, Any]) -> None:
        """Called under the store lock when an event is created: snapshot and schedule."""
        endpoints = [
            e
            for e in self.store.all("webhook_endpoint")
            if e["status"] == "enabled" and event_matches(e["enabled_events"], event["type"])
        ]
        event["pending_webhooks"] = len(endpoints)
        if not endpoints:
            return
        # Stripe sends the event as it was when it happened, pretty-printed.
        payload = json.dumps(public(event), indent=2)
        now = time.monotonic()
        with self._wakeup:
            self._payloads[event["id"]] = payload
            for endpoint in endpoints:
                heapq.heappush(
                    self._queue,
                    _Delivery(
                        now, next(self._order), event["id"], endpoint["id"], self._generation
                    ),
                )
            self._wakeup.notify_all()

    def attempts(self) -> list[dict[str, Any]]:
        with self._wakeup:
            return [dict(a) for a in self._attempts]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is queued or in flight (retries included)."""
        with self._wakeup:
            return self._wakeup.wait_for(lambda: not self._queue and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._stopping:
                    if self._queue and self._queue[0].due <= time.monotonic():
                        break
                    wait = self._queue[0].due - time.monotonic() if self._queue else None
                    self._wakeup.wait(wait)
                if self._stopping:
                    return
                delivery = heapq.heappop(self._queue)
                payload = self._payloads.get(delivery.event_id)
                self._busy += 1
            try:
                if payload is not None:
                    self._attempt(delivery, payload)
            finally:
                with self._wakeup:
                    self._busy -= 1
                    self._wakeup.notify_all()

    def _attempt(self, delivery: _Delivery, payload: str) -> None:
        with self.store.lock:
            endpoint = self.store.find(delivery.endpoint_id)
            if endpoint is None or endpoint["status"] != "enabled":
                return
            url, secret = endpoint["url"], endpoint["secret"]
        started = time.monotonic()
        status, error = _post(
            url, payload, sign(payload, secret, int(time.time())), self.policy.timeout
        )
        succeeded = status is not None and 200 <= status < 300
        retry = not succeeded and delivery.attempt < self.policy.max_attempts
        next_retry_in = self.policy.delay_after(delivery.attempt) if retry else None
        record = {
            "event": delivery.event_id,
            "endpoint": delivery.endpoint_id,
            "url": url,
            "attempt": delivery.attempt,
            "status": status,
            "error": error,
            "succeeded": succeeded,
            "attempted_at": time.time(),
            "duration_ms": round((time.monotonic() - started) * 1000, 1),
            "next_retry_in": next_retry_in,
        }
        with self._wakeup:
            if delivery.generation != self._generation:
                return
            self._attempts.append(record)
            if retry:
                heapq.heappush(
                    self._queue,
                    _Delivery(
                        time.monotonic() + next_retry_in,
                        next(self._order),
                        delivery.event_id,
                        delivery.endpoint_id,
                        delivery.generation,
                        delivery.attempt + 1,
                    ),
                )
        if not retry:
            with self.store.lock:
                event = self.store.find(delivery.event_id)
                if event is not None and event["pending_webhooks"] > 0:
                    event["pending_webhooks"] -= 1


def _post(url: str, payload: str, signature: str, timeout: float) -> tuple[int | None, str | None]:
    """One POST; http.client so redirects are not followed and no proxy is used."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=payload.encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Cache-Control": "no-cache",
                "Stripe-Signature": signature,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, None
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def _enabled_events(params: Params, *, required: bool) -> list[str] | None:
    events = get_list(params, "enabled_events")
    if events is None:
        if required:
            raise parameter_missing("enabled_events")
        return None
    for index, name in enumerate(events):
        if not isinstance(name, str) or not (name == "*" or EVENT_TYPE.match(name)):
            raise invalid_request(f"Invalid event type: {name!r}", param=f"enabled_events[{index}]")
    return events


def _url(params: Params, *, required: bool) -> str | None:
    url = get_str(params, "url", required=required)
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise invalid_request(f"Invalid URL: {url}", param="url", code="url_invalid")
    return url


def _api_version(params: Params) -> str | None:
    version = get_str(params, "api_version") or None
    if version is not None and version != API_VERSION:
        raise invalid_request(
            f"The simulator sends events as API version {API_VERSION} only, not {version}.",
            param="api_version",
        )
    return version


def create_webhook_endpoint(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, ENDPOINT_PARAMS)
    store = ctx.store
    endpoint = {
        "id": store.new_id("webhook_endpoint"),
        "object": "webhook_endpoint",
        "api_version": _api_version(params),
        "application": None,
        "created": store.now(),
        "description": get_str(params, "description") or None,
        "enabled_events": _enabled_events(params, required=True),
        "livemode": False,
        "metadata": apply_metadata({}, get_metadata(params), replace=True),
        "secret": f"whsec_{secrets.token_hex(24)}",
        "status": "enabled",
        "url": _url(params, required=True),
    }
    store.insert(endpoint)
    return public(endpoint)  # the only response that carries the secret, as at Stripe


def _without_secret(endpoint: dict[str, Any]) -> dict[str, Any]:
    body = public(endpoint)
    body.pop("secret", None)
    return body


def retrieve_webhook_endpoint(ctx: RequestContext, params: Params, endpoint_id: str) -> dict:
    check_known(params, ())
    return _without_secret(ctx.store.get("webhook_endpoint", endpoint_id))


def update_webhook_endpoint(ctx: RequestContext, params: Params, endpoint_id: str) -> dict:
    check_known(params, {"description", "disabled", "enabled_events", "metadata", "url"})
    endpoint = ctx.store.get("webhook_endpoint", endpoint_id)

    def change(draft: dict[str, Any]) -> None:
        events = _enabled_events(params, required=False)
        if events is not None:
            draft["enabled_events"] = events
        url = _url(params, required=False)
        if url:
            draft["url"] = url
        if "description" in params:
            draft["description"] = get_str(params, "description") or None
        disabled = get_bool(params, "disabled")
        if disabled is not None:
            draft["status"] = "disabled" if disabled else "enabled"
        draft["metadata"] = apply_metadata(draft["metadata"], get_metadata(params), replace=False)

    update_atomically(endpoint, change)
    return _without_secret(endpoint)


def delete_webhook_endpoint(ctx: RequestContext, params: Params, endpoint_id: str) -> dict:
    check_known(params, ())
    ctx.store.get("webhook_endpoint", endpoint_id)
    ctx.store.remove("webhook_endpoint", endpoint_id)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def list_webhook_endpoints(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, LIST_PARAMS)
    return paginate(
        ctx.store,
        ctx.store.all("webhook_endpoint"),
        params,
        url="/v1/webhook_endpoints",
        noun="webhook endpoint",
        render=_without_secret,
    )


ROUTES = [
    ("POST", "/v1/webhook_endpoints", create_webhook_endpoint),
    ("GET", "/v1/webhook_endpoints", list_webhook_endpoints),
    ("GET", "/v1/webhook_endpoints/{endpoint_id}", retrieve_webhook_endpoint),
    ("POST", "/v1/webhook_endpoints/{endpoint_id}", update_webhook_endpoint),
    ("DELETE", "/v1/webhook_endpoints/{endpoint_id}", delete_webhook_endpoint),
]
