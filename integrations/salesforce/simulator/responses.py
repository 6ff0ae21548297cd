"""HTTP response value and Salesforce's JSON error shape."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .values import StoreError


def not_found() -> StoreError:
    # A fresh exception each time: a shared instance raised on many threads would
    # collect their tracebacks.
    return StoreError("NOT_FOUND", "The requested resource does not exist", 404)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, data: Any) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode())


def error_response(error: StoreError) -> Response:
    return json_response(error.status, error.as_body())
