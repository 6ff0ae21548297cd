"""Injected faults, so our client's retries and idempotency can be tested.

A fault applies to the next `count` API requests (optionally only those matching a
method and path prefix). Modes:
  - "error": answer `status` (500/502/503/504 api_error, 429 rate_limit, 409 lock_timeout);
  - "close": drop the connection without a response;
  - "hang":  hold the connection for `seconds`, then drop it (a client timeout);
  - "delay": run the request normally but `seconds` late, holding its Idempotency-Key
    meanwhile (a slow Stripe; duplicates sent in that window wait and replay).
With `when="after"` the operation runs first (and its idempotent result is saved) and
only the response is lost: the case an Idempotency-Key exists for.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from .errors import StripeApiError, api_error

MODES = ("error", "close", "hang", "delay")
STATUSES = (409, 429, 500, 502, 503, 504)


@dataclass
class Fault:
    mode: str = "error"
    count: int = 1
    status: int = 500
    seconds: float = 5.0
    method: str | None = None
    path_prefix: str | None = None
    when: str = "before"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.when not in ("before", "after"):
            raise ValueError("when must be 'before' or 'after'")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if int(self.count) < 1 or float(self.seconds) < 0:
            raise ValueError("count must be >= 1 and seconds >= 0")
        self.count, self.seconds = int(self.count), float(self.seconds)
        self.method = self.method.upper() if self.method else None

    @property
    def phase(self) -> str:
        return "during" if self.mode == "delay" else self.when

    def matches(self, method: str, path: str, phase: str) -> bool:
        return (
            self.phase == phase
            and (self.method is None or self.method == method)
            and (self.path_prefix is None or path.startswith(self.path_prefix))
        )

    def error(self) -> StripeApiError:
        if self.status == 429:
            return StripeApiError(
                429,
                "invalid_request_error",
                "Request rate limit exceeded. (simulated fault)",
                code="rate_limit",
            )
        if self.status == 409:
            return StripeApiError(
                409,
                "invalid_request_error",
                "This object cannot be accessed right now because another API request or "
                "Stripe process is currently accessing it. (simulated fault)",
                code="lock_timeout",
            )
        error = api_error()
        error.status = self.status
        return error


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(f) for f in self._faults]

    def take(self, method: str, path: str, phase: str) -> Fault | None:
        """The first fault matching this phase ("before", "during" or "after" executing)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, phase):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
        return None
