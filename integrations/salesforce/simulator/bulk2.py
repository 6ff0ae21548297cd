"""Bulk API 2.0 query jobs (jobs/query), enough for `sf.bulk2.Opportunity.query(soql)`.

A job is evaluated when it is created and is JobComplete at once; results are CSV pages
with the Sforce-NumberOfRecords and Sforce-Locator headers simple-salesforce requires.
Like Salesforce, Bulk 2.0 rejects child subqueries and COUNT(). Ingest jobs aren't
simulated.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import query as soql_query
from . import soql
from .responses import Response, json_response, not_found
from .values import StoreError, base62, format_datetime

if TYPE_CHECKING:
    from .server import SalesforceSimulator

DELIMITERS = {
    "COMMA": ",",
    "TAB": "\t",
    "PIPE": "|",
    "SEMICOLON": ";",
    "CARET": "^",
    "BACKQUOTE": "`",
}


@dataclass
class QueryJob:
    id: str
    operation: str
    object: str
    created: datetime
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    line_ending: str

    def info(self, version: str, user_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": user_id,
            "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created),
            "state": "JobComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(version),
            "jobType": "V2Query",
            "lineEnding": self.line_ending,
            "columnDelimiter": next(k for k, v in DELIMITERS.items() if v == self.delimiter),
            "numberRecordsProcessed": len(self.rows),
            "retries": 0,
            "totalProcessingTime": 0,
        }


class Bulk2Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, QueryJob] = {}
        self._lock = threading.Lock()
        self._counter = 0

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()

    def add(self, job_factory: Any) -> QueryJob:
        with self._lock:
            self._counter += 1
            job = job_factory(f"7505g0{base62(self._counter, 9)}AAA")
            self._jobs[job.id] = job
            return job

    def get(self, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def delete(self, job_id: str) -> None:
        with self._lock:
            if self._jobs.pop(job_id, None) is None:
                raise not_found()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value).replace("+0000", "Z")
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def _create(sim: SalesforceSimulator, version: str, body: bytes) -> Response:
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        raise StoreError("JSON_PARSER_ERROR", "The request body isn't valid JSON") from None
    operation = payload.get("operation")
    if operation not in ("query", "queryAll"):
        raise StoreError("INVALIDJOB", f"Invalid operation: {operation}")
    delimiter = DELIMITERS.get(payload.get("columnDelimiter", "COMMA"))
    line_ending = payload.get("lineEnding", "LF")
    if delimiter is None or line_ending not in ("LF", "CRLF"):
        raise StoreError("INVALIDJOB", "Invalid columnDelimiter or lineEnding")
    parsed = soql.parse(payload.get("query") or "")
    if parsed.count_only or any(isinstance(f, soql.SubQuery) for f in parsed.fields):
        raise StoreError(
            "INVALIDJOB", "Bulk API 2.0 doesn't support COUNT() or child relationship subqueries"
        )
    store = sim.store
    include_deleted = operation == "queryAll"
    with store.locked():
        compiled = soql_query.compile_query(parsed, store, include_deleted=include_deleted)
        getters = [
            soql_query.make_getter(col, store)
            for col in compiled.columns
            if isinstance(col, soql_query.Path)
        ]
        rows = [
            [_csv_value(get(r)) for get in getters]
            for r in soql_query.execute(compiled, store, include_deleted=include_deleted)
        ]
    header = [
        ".".join([*(hop[1] for hop in col.hops), col.field.name])
        for col in compiled.columns
        if isinstance(col, soql_query.Path)
    ]
    job = sim.bulk2_jobs.add(
        lambda job_id: QueryJob(
            job_id, operation, compiled.obj.name, store.now(), header, rows, delimiter, line_ending
        )
    )
    return json_response(200, job.info(version, store.default_user_id))


def _results(job: QueryJob, params: Mapping[str, list[str]]) -> Response:
    max_records = int((params.get("maxRecords") or ["50000"])[0] or 50000)
    locator = (params.get("locator") or [""])[0]
    try:
        offset = int(base64.b64decode(locator).decode()) if locator else 0
    except ValueError:
        raise StoreError("INVALID_LOCATOR", f"Invalid locator: {locator}") from None
    page = job.rows[offset : offset + max_records]
    end = offset + len(page)
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=job.delimiter,
        quoting=csv.QUOTE_ALL,
        lineterminator="\r\n" if job.line_ending == "CRLF" else "\n",
    )
    writer.writerow(job.header)
    writer.writerows(page)
    next_locator = base64.b64encode(str(end).encode()).decode() if end < len(job.rows) else "null"
    return Response(
        200,
        buffer.getvalue().encode(),
        "text/csv;charset=UTF-8",
        {"Sforce-NumberOfRecords": str(len(page)), "Sforce-Locator": next_locator},
    )


def handle(
    sim: SalesforceSimulator,
    version: str,
    method: str,
    parts: list[str],
    params: Mapping[str, list[str]],
    body: bytes,
) -> Response:
    """parts: what follows jobs/query/."""
    if not parts:
        if method != "POST":
            raise StoreError("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed", 405)
        return _create(sim, version, body)
    job = sim.bulk2_jobs.get(parts[0])
    if len(parts) == 1 and method == "GET":
        return json_response(200, job.info(version, sim.store.default_user_id))
    if len(parts) == 1 and method == "DELETE":
        sim.bulk2_jobs.delete(job.id)
        return Response(204)
    if len(parts) == 1 and method == "PATCH":  # abort: already complete, nothing to stop
        return json_response(200, job.info(version, sim.store.default_user_id))
    if parts[1:] == ["results"] and method == "GET":
        return _results(job, params)
    raise not_found()
