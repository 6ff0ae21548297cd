"""What a handler knows about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass

from .store import Store

# The version stripe-python 16.1.0 pins; events carry it as the account's default version.
API_VERSION = "2026-10-28.endive"


@dataclass
class RequestContext:
    store: Store
    # None for changes the simulated customer makes (a card payment), as Stripe sends
    # `request.id: null` for events that no API request caused.
    request_id: str | None = None
    idempotency_key: str | None = None
    api_key: str | None = None
