"""/_sim/ control endpoints (no auth; the simulator only listens on 127.0.0.1).

POST   /_sim/reset                         empty the org
POST   /_sim/seed            {accounts, opportunities, lines_per_opportunity, seed}
POST   /_sim/session                       -> {"session_id", "instance_url"}
POST   /_sim/expire-sessions
POST   /_sim/faults          {count, status, error_code?, message?, delay?}
DELETE /_sim/faults
GET    /_sim/requests        -> {"count", "recent": [...last 200...]}
POST   /_sim/clock           {"freeze": iso|null, "advance_seconds": n, "unfreeze": true}
GET    /_sim/records/{Obj}[/{id}]          plain JSON, deleted records included
POST   /_sim/records/{Obj}   {fields}     -> {"id"}
PATCH  /_sim/records/{Obj}/{id} {fields}
DELETE /_sim/records/{Obj}/{id}
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .responses import Response, error_response, json_response
from .values import StoreError, parse_datetime, to_wire

if TYPE_CHECKING:
    from .server import SalesforceSimulator

_SEED_OPTIONS = {"accounts", "opportunities", "lines_per_opportunity", "seed"}


def _body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise StoreError("JSON_PARSER_ERROR", "The request body isn't valid JSON") from None
    if not isinstance(data, dict):
        raise StoreError("JSON_PARSER_ERROR", "Expected a JSON object")
    return data


def _plain(sim: SalesforceSimulator, obj_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    obj = sim.store.schema.get_object(obj_name)
    assert obj is not None
    return {name: to_wire(value, obj.fields[name].type) for name, value in record.items()}


def handle(
    sim: SalesforceSimulator,
    method: str,
    path: str,
    params: Mapping[str, list[str]],
    raw_body: bytes,
) -> Response:
    try:
        return _route(sim, method, [p for p in path.split("/")[2:] if p], params, raw_body)
    except StoreError as error:
        return error_response(error)
    except (TypeError, ValueError) as error:
        return error_response(StoreError("INVALID_ARGUMENT", str(error)))


def _route(
    sim: SalesforceSimulator,
    method: str,
    parts: list[str],
    params: Mapping[str, list[str]],
    raw_body: bytes,
) -> Response:
    head = parts[0] if parts else ""
    if (method, head) == ("POST", "reset"):
        sim.reset()
        return json_response(200, {"ok": True})
    if (method, head) == ("POST", "seed"):
        options = {k: v for k, v in _body(raw_body).items() if k in _SEED_OPTIONS}
        summary = sim.seed(**options)
        counts = {
            f.name: (len(v) if isinstance(v := getattr(summary, f.name), list) else v)
            for f in dataclasses.fields(summary)
        }
        return json_response(200, counts)
    if (method, head) == ("POST", "session"):
        return json_response(200, {"session_id": sim.issue_session(), "instance_url": sim.url})
    if (method, head) == ("POST", "expire-sessions"):
        sim.expire_sessions()
        return json_response(200, {"ok": True})
    if head == "faults" and method == "POST":
        body = _body(raw_body)
        sim.fail_next(
            int(body.get("count", 1)),
            int(body.get("status", 503)),
            error_code=body.get("error_code"),
            message=body.get("message"),
            delay=float(body.get("delay", 0)),
        )
        return json_response(200, {"ok": True})
    if head == "faults" and method == "DELETE":
        sim.clear_faults()
        return json_response(200, {"ok": True})
    if (method, head) == ("GET", "requests"):
        return json_response(
            200, {"count": sim.request_count, "recent": list(sim.request_log)[-200:]}
        )
    if (method, head) == ("POST", "clock"):
        return _clock(sim, _body(raw_body))
    if head == "records" and len(parts) in (2, 3):
        return _records(sim, method, parts[1:], raw_body)
    raise StoreError("NOT_FOUND", "No such simulator control endpoint", 404)


def _clock(sim: SalesforceSimulator, body: dict[str, Any]) -> Response:
    clock = sim.store.clock
    if body.get("unfreeze"):
        clock.unfreeze()
    if "freeze" in body:
        at = parse_datetime(body["freeze"]) if body["freeze"] else None
        if body["freeze"] and at is None:
            raise StoreError("INVALID_ARGUMENT", "freeze needs an ISO datetime with an offset")
        clock.freeze(at)
    if body.get("advance_seconds"):
        clock.advance(float(body["advance_seconds"]))
    return json_response(200, {"now": clock.now().isoformat()})


def _records(sim: SalesforceSimulator, method: str, parts: list[str], raw_body: bytes) -> Response:
    store = sim.store
    obj = sim.store.schema.get_object(parts[0])
    if obj is None:
        raise StoreError("NOT_FOUND", f"Unknown object {parts[0]}", 404)
    if len(parts) == 1:
        if method == "GET":
            return json_response(
                200, [_plain(sim, obj.name, r) for r in store.all(obj.name, include_deleted=True)]
            )
        if method == "POST":
            return json_response(201, {"id": store.insert(obj.name, _body(raw_body))["Id"]})
    else:
        record_id = parts[1]
        if method == "GET":
            record = store.get(obj.name, record_id, include_deleted=True)
            if record is None:
                raise StoreError("NOT_FOUND", "The requested resource does not exist", 404)
            return json_response(200, _plain(sim, obj.name, record))
        if method == "PATCH":
            return json_response(
                200, _plain(sim, obj.name, store.update(obj.name, record_id, _body(raw_body)))
            )
        if method == "DELETE":
            store.delete(obj.name, record_id)
            return json_response(200, {"ok": True})
    raise StoreError("METHOD_NOT_ALLOWED", f"{method} is not allowed here", 405)
