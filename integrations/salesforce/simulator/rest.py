"""REST resources under /services/data/vXX.X/: query, sObject rows, describe, replication."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from . import bulk2
from . import query as soql_query
from .query import Projector
from .responses import Response, json_response, not_found
from .store import Record
from .values import (
    StoreError,
    base62,
    floor_minute,
    format_datetime,
    normalize_id,
    parse_datetime,
    to_wire,
)

if TYPE_CHECKING:
    from .server import SalesforceSimulator


@dataclass
class Cursor:
    rows: list[Record]
    project: Projector
    batch: int
    pager: ChildCursors | None = None


class Cursors:
    """Evaluated query results, paged by locator so a long query_all stays O(n).

    A cursor keeps the matched records (snapshots) and renders each page on request.
    Child cursors (the rest of a large child relationship result) are kept apart: they
    live until their parent query moves to its next page, as in Salesforce, where a
    queryMore on the parent invalidates the child cursors of the previous page.
    """

    def __init__(self, limit: int = 10, child_limit: int = 10_000) -> None:
        # Salesforce allows 10 open query cursors per user; the oldest go first.
        self._limit = limit
        self._child_limit = child_limit
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._children: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()
        self._counter = 0

    def open(self, cursor: Cursor, *, child: bool = False) -> str:
        with self._lock:
            self._counter += 1
            locator = f"01g5g0{base62(self._counter, 9)}"
            table, limit = (
                (self._children, self._child_limit) if child else (self._cursors, self._limit)
            )
            table[locator] = cursor
            while len(table) > limit:
                table.popitem(last=False)
            return locator

    def get(self, locator: str) -> Cursor | None:
        with self._lock:
            cursor = self._cursors.get(locator)
            if cursor is not None:
                self._cursors.move_to_end(locator)
                return cursor
            return self._children.get(locator)

    def drop_children(self, locators: list[str]) -> None:
        with self._lock:
            for locator in locators:
                self._children.pop(locator, None)

    def clear(self) -> None:
        with self._lock:
            self._cursors.clear()
            self._children.clear()


class ChildCursors:
    """The child cursors one query's current page opened (query.ChildPager)."""

    def __init__(self, cursors: Cursors, version: str, endpoint: str, batch: int) -> None:
        self.cursors = cursors
        self.version = version
        self.endpoint = endpoint
        self.batch = batch
        self.opened: list[str] = []

    def open(self, rows: list[Record], project: Projector) -> str:
        locator = self.cursors.open(Cursor(rows, project, self.batch), child=True)
        self.opened.append(locator)
        return f"/services/data/v{self.version}/{self.endpoint}/{locator}-{self.batch}"

    def next_page(self) -> None:
        """The parent moves on: the previous page's child cursors are no longer valid."""
        self.cursors.drop_children(self.opened)
        self.opened = []


def _page(
    sim: SalesforceSimulator,
    cursor: Cursor,
    offset: int,
    locator: str | None,
    version: str,
    endpoint: str,
) -> Response:
    batch = cursor.batch
    if cursor.pager is not None:
        cursor.pager.next_page()
    with sim.store.locked():
        records = [cursor.project(r) for r in cursor.rows[offset : offset + batch]]
    done = offset + batch >= len(cursor.rows)
    result: dict[str, Any] = {"totalSize": len(cursor.rows), "done": done, "records": records}
    if not done:
        result["nextRecordsUrl"] = (
            f"/services/data/v{version}/{endpoint}/{locator}-{offset + batch}"
        )
    return json_response(200, result)


def _batch_size(sim: SalesforceSimulator, headers: Mapping[str, str]) -> int:
    option = headers.get("sforce-query-options", "")
    for part in option.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "batchsize" and value.strip().isdigit():
            return min(max(int(value), 200), 2000)
    return sim.batch_size


def run_query(
    sim: SalesforceSimulator,
    version: str,
    endpoint: str,
    rest: str,
    params: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> Response:
    if rest:  # continuation: query/01g...-2000
        locator, _, offset_text = rest.rpartition("-")
        cursor = sim.cursors.get(locator) if offset_text.isdigit() else None
        if cursor is None:
            raise StoreError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return _page(sim, cursor, int(offset_text), locator, version, endpoint)
    text = (params.get("q") or [""])[0]
    if not text.strip():
        raise StoreError("MALFORMED_QUERY", "A query string has to be specified")
    pager = ChildCursors(sim.cursors, version, endpoint, sim.child_batch_size)
    rows, project = soql_query.prepare(
        text, sim.store, version, include_deleted=endpoint == "queryAll", child_pager=pager
    )
    if project is None:  # COUNT()
        return json_response(200, {"totalSize": len(rows), "done": True, "records": []})
    cursor = Cursor(rows, project, _batch_size(sim, headers), pager)
    locator = sim.cursors.open(cursor) if len(rows) > cursor.batch else None
    return _page(sim, cursor, 0, locator, version, endpoint)


def _record_json(
    sim: SalesforceSimulator,
    record: Mapping[str, Any],
    obj_name: str,
    version: str,
    only: list[str] | None = None,
) -> dict[str, Any]:
    obj = sim.store.schema.get_object(obj_name)
    assert obj is not None
    out: dict[str, Any] = {
        "attributes": {
            "type": obj.name,
            "url": f"/services/data/v{version}/sobjects/{obj.name}/{record['Id']}",
        }
    }
    for fdef in obj.fields.values():
        if only is None or fdef.name in only:
            out[fdef.name] = to_wire(record[fdef.name], fdef.type)
    return out


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise StoreError("JSON_PARSER_ERROR", "The request body isn't valid JSON") from None
    if not isinstance(data, dict):
        raise StoreError("JSON_PARSER_ERROR", "Expected a JSON object for the record")
    return data


def _replication_window(
    sim: SalesforceSimulator, params: Mapping[str, list[str]]
) -> tuple[datetime, datetime]:
    bounds: dict[str, datetime] = {}
    for name in ("start", "end"):
        # A '+' that wasn't percent-encoded arrives as a space.
        raw = (params.get(name) or [""])[0].replace(" ", "+")
        parsed = parse_datetime(raw)
        if parsed is None:
            # simple-salesforce renders a naive datetime as '...T00:00:00:' (no offset).
            raise StoreError(
                "INVALID_REPLICATION_DATE",
                f"{name}: '{raw}' is not a dateTime with a time zone offset "
                "(YYYY-MM-DDThh:mm:ss+hh:mm)",
            )
        bounds[name] = parsed
    start, end = bounds["start"], bounds["end"]
    if start >= end:
        raise StoreError("INVALID_REPLICATION_DATE", "start must be before end")
    now = sim.store.now()
    oldest = datetime.combine(now.date(), time(), now.tzinfo) - timedelta(days=30)
    if start < oldest:
        raise StoreError("INVALID_REPLICATION_DATE", "start cannot be more than 30 days ago")
    # Salesforce ignores seconds, and never covers time that hasn't happened yet.
    return floor_minute(start), min(floor_minute(end), floor_minute(now))


def replication(
    sim: SalesforceSimulator, obj_name: str, kind: str, params: Mapping[str, list[str]]
) -> Response:
    start, covered = _replication_window(sim, params)
    store = sim.store
    if kind == "updated":
        with store.locked():
            ids = [
                r["Id"]
                for r in store.rows(obj_name)
                if not r["IsDeleted"] and start <= r["SystemModstamp"] < covered
            ]
        return json_response(200, {"ids": ids, "latestDateCovered": format_datetime(covered)})
    deleted = store.deleted_since(obj_name)
    earliest = floor_minute(min((when for _, when in deleted), default=covered))
    return json_response(
        200,
        {
            "deletedRecords": [
                {"id": rid, "deletedDate": format_datetime(when)}
                for rid, when in deleted
                if start <= when < covered
            ],
            "earliestDateAvailable": format_datetime(earliest),
            "latestDateCovered": format_datetime(covered),
        },
    )


def _method_not_allowed(method: str, allowed: str) -> StoreError:
    return StoreError(
        "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}", 405
    )


def sobjects(
    sim: SalesforceSimulator,
    version: str,
    method: str,
    parts: list[str],
    params: Mapping[str, list[str]],
    body: bytes,
) -> Response:
    store = sim.store
    if not parts:
        if method != "GET":
            raise _method_not_allowed(method, "GET")
        return json_response(200, store.schema.global_describe(version))
    obj = store.schema.get_object(parts[0])
    if obj is None:
        raise not_found()
    if len(parts) == 1:
        if method == "GET":
            recent = [
                _record_json(
                    sim, r, obj.name, version, ["Id", "Name"] if obj.field("Name") else ["Id"]
                )
                for r in store.all(obj.name)[-10:]
            ]
            return json_response(
                200, {"objectDescribe": obj.describe_summary(version), "recentItems": recent}
            )
        if method == "POST":
            record = store.insert(obj.name, _json_body(body))
            return json_response(201, {"id": record["Id"], "success": True, "errors": []})
        raise _method_not_allowed(method, "GET,POST")
    if len(parts) == 2 and parts[1] in ("describe", "updated", "deleted"):
        if method != "GET":
            raise _method_not_allowed(method, "GET")
        if parts[1] == "describe":
            return json_response(200, obj.describe(version))
        return replication(sim, obj.name, parts[1], params)
    if len(parts) != 2 or normalize_id(parts[1]) is None:
        raise not_found()  # external-id paths (sobjects/Obj/Field/value) aren't simulated
    record_id = parts[1]
    if method == "GET":
        record = store.get(obj.name, record_id)
        if record is None:
            raise not_found()
        only = None
        if params.get("fields"):
            only = []
            for name in params["fields"][0].split(","):
                fdef = obj.field(name.strip())
                if fdef is None:
                    raise soql_query.invalid_field(name.strip(), obj)
                only.append(fdef.name)
        return json_response(200, _record_json(sim, record, obj.name, version, only))
    if method == "PATCH":
        store.update(obj.name, record_id, _json_body(body))
        return Response(204)
    if method == "DELETE":
        store.delete(obj.name, record_id)
        return Response(204)
    raise _method_not_allowed(method, "GET,PATCH,DELETE")


def resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    return {name: f"{base}/{name}" for name in ("sobjects", "query", "queryAll", "limits")}


def handle(
    sim: SalesforceSimulator,
    version: str,
    method: str,
    rest_path: str,
    params: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
) -> Response:
    parts = [p for p in rest_path.strip("/").split("/") if p]
    head = parts[0] if parts else ""
    if not parts:
        return json_response(200, resources(version))
    if head in ("query", "queryAll"):
        if method != "GET":
            raise _method_not_allowed(method, "GET")
        if len(parts) > 2:
            raise not_found()
        return run_query(sim, version, head, parts[1] if len(parts) == 2 else "", params, headers)
    if head == "jobs" and parts[1:2] == ["query"]:
        return bulk2.handle(sim, version, method, parts[2:], params, body)
    if head == "sobjects":
        return sobjects(sim, version, method, parts[1:], params, body)
    if head == "limits" and len(parts) == 1:
        used = sim.request_count
        return json_response(
            200,
            {
                "DailyApiRequests": {
                    "Max": sim.daily_api_limit,
                    "Remaining": max(sim.daily_api_limit - used, 0),
                },
            },
        )
    raise not_found()
