"""The one place that builds a Stripe client from settings and sorts Stripe's errors.

`STRIPE_API_BASE` points the official library at our simulator in the demo and in
tests; unset, it talks to api.stripe.com. Errors fall in two kinds:

- `StripeUnavailable`: the request may not have reached Stripe, or Stripe could not
  answer (connection errors, timeouts, 5xx, 409 lock timeouts, 429). Tasks retry these
  with backoff; the idempotency keys make the retry safe.
- `StripeRefused`: Stripe answered and said no (4xx). Retrying the same request cannot
  help; a person has to look (the integration errors page shows it).
"""

from __future__ import annotations

import stripe
from django.conf import settings

DEFAULT_TIMEOUT = 30  # seconds per request; a push holds a lock meanwhile


class StripeUnavailable(Exception):
    """Transient: try again later."""


class StripeRefused(Exception):
    """Stripe refused the request; retrying it unchanged will not help."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class StripeNotConfigured(StripeRefused):
    def __init__(self, message: str) -> None:
        super().__init__(message, code="stripe_not_configured")


def api_version() -> str:
    """The pinned API version: `STRIPE_API_VERSION`, else the one the library is built for
    (its typed resources describe exactly that version's objects)."""
    return getattr(settings, "STRIPE_API_VERSION", "") or stripe.api_version


def stripe_client() -> stripe.StripeClient:
    api_key = getattr(settings, "STRIPE_API_KEY", "")
    if not api_key:
        raise StripeNotConfigured("STRIPE_API_KEY is not set.")
    base = getattr(settings, "STRIPE_API_BASE", "")
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": base} if base else None,
        stripe_version=api_version(),
        # Celery does the retrying, with backoff the integration page can show.
        max_network_retries=int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 0)),
        http_client=stripe.RequestsClient(
            timeout=float(getattr(settings, "STRIPE_TIMEOUT", DEFAULT_TIMEOUT))
        ),
    )


def describe(err: stripe.StripeError) -> str:
    """Stripe's message with its status and code; never the request body."""
    status = getattr(err, "http_status", None)
    code = getattr(err, "code", None)
    prefix = f"Stripe {status}" if status else "Stripe"
    if code:
        prefix += f" {code}"
    return f"{prefix}: {err.user_message or str(err) or type(err).__name__}"


def translate(err: stripe.StripeError) -> Exception:
    """Our exception for a Stripe library error (raise it `from err`)."""
    if isinstance(err, stripe.APIConnectionError | stripe.RateLimitError | stripe.APIError):
        return StripeUnavailable(describe(err))
    if getattr(err, "http_status", None) == 409:
        # A conflict (`idempotency_key_in_use`: the same request is still executing at
        # Stripe, e.g. an earlier attempt that timed out on our side): retry later, when
        # the key replays the first request's result.
        return StripeUnavailable(describe(err))
    return StripeRefused(
        describe(err), code=getattr(err, "code", None), status=getattr(err, "http_status", None)
    )
