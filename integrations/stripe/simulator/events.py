"""Events: every state change we simulate becomes an `event`, listed by /v1/events and
handed to the webhook dispatcher."""

from __future__ import annotations

import re
from typing import Any

from .context import API_VERSION, RequestContext
from .errors import invalid_request
from .listing import LIST_PARAMS, filter_range, paginate
from .params import Params, check_known, get_list, get_str
from .store import public

EVENT_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")


def emit(
    ctx: RequestContext,
    event_type: str,
    obj: dict[str, Any],
    *,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    store = ctx.store
    data: dict[str, Any] = {"object": public(obj)}
    if previous_attributes:
        data["previous_attributes"] = public(previous_attributes)
    event = {
        "id": store.new_id("event"),
        "object": "event",
        "api_version": API_VERSION,
        "context": None,
        "created": store.now(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
        "type": event_type,
    }
    with store.lock:
        store.insert(event)
        store.publish(event)
    return event


def event_matches(enabled_events: list[str], event_type: str) -> bool:
    return any(
        pattern == "*"
        or pattern == event_type
        or (pattern.endswith(".*") and event_type.startswith(pattern[:-1]))
        for pattern in enabled_events
    )


def list_events(ctx: RequestContext, params: Params) -> dict[str, Any]:
    check_known(params, {*LIST_PARAMS, "type", "types", "created"})
    events = ctx.store.all("event")
    wanted_type = get_str(params, "type")
    if wanted_type:
        # Stripe allows one `*` wildcard in the type filter: "invoice.*".
        events = [e for e in events if event_matches([wanted_type], e["type"])]
    types = get_list(params, "types")
    if types:
        if wanted_type:
            raise invalid_request("You may only specify one of type and types.", param="types")
        events = [e for e in events if e["type"] in types]
    events = filter_range(events, params, "created")
    return paginate(ctx.store, events, params, url="/v1/events", noun="event")


def retrieve_event(ctx: RequestContext, params: Params, event_id: str) -> dict[str, Any]:
    check_known(params, ())
    return public(ctx.store.get("event", event_id))


ROUTES = [
    ("GET", "/v1/events", list_events),
    ("GET", "/v1/events/{event_id}", retrieve_event),
]
