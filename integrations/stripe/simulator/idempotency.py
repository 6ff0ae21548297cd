"""Idempotency-Key handling, as Stripe does it for POSTs.

The first request with a key runs; its response (status, body) is remembered per API
key for 24 hours. A later request with the same key and the same method, path and
parameters gets that response again with `Idempotent-Replayed: true`, and nothing runs a
second time. The same key with other parameters or another path is a 400
`idempotency_error`.

As Stripe documents it: results are saved once the endpoint began executing, errors
included (a 400 for an invoice in the wrong state is replayed as is); a request refused
by parameter validation is not saved, so it may be corrected and retried with the same
key. A duplicate that arrives while the first is still executing saves nothing and gets
409 `idempotency_key_in_use` at once: the client retries later and then gets the replay.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import idempotency_in_use, idempotency_mismatch, invalid_request

KEY_MAX_LENGTH = 255


@dataclass
class StoredResponse:
    status: int
    body: bytes
    request_id: str


@dataclass
class _Entry:
    fingerprint: str
    created: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    response: StoredResponse | None = None


@dataclass
class Claim:
    """What the server does with a request: run it (`entry` set) or `replay` a response."""

    entry: _Entry | None = None
    replay: StoredResponse | None = None
    scope: tuple[str, str] | None = None


def fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


class IdempotencyCache:
    def __init__(self, ttl_seconds: float = 24 * 3600) -> None:
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()

    def claim(self, api_key: str, key: str, method: str, path: str, params: dict) -> Claim:
        if len(key) > KEY_MAX_LENGTH:
            raise invalid_request(
                f"Idempotency-Key must be at most {KEY_MAX_LENGTH} characters.",
                param="Idempotency-Key",
            )
        scope = (api_key, key)
        wanted = fingerprint(method, path, params)
        with self._lock:
            self._expire()
            entry = self._entries.get(scope)
            if entry is None:
                entry = self._entries[scope] = _Entry(wanted)
                return Claim(entry=entry, scope=scope)
            if entry.fingerprint != wanted:
                raise idempotency_mismatch(key)
            if entry.response is None:
                raise idempotency_in_use(key)
            return Claim(replay=entry.response, scope=scope)

    def finish(self, claim: Claim, response: StoredResponse | None) -> None:
        """Save the response, or forget the key when the request never started executing."""
        assert claim.entry is not None and claim.scope is not None
        with self._lock:
            if response is None:
                if self._entries.get(claim.scope) is claim.entry:
                    del self._entries[claim.scope]
            else:
                claim.entry.response = response
            claim.entry.done.set()

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.ttl_seconds
        expired = [s for s, e in self._entries.items() if e.done.is_set() and e.created < cutoff]
        for scope in expired:
            del self._entries[scope]
