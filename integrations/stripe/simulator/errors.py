"""Stripe's error shape: `{"error": {"type", "code", "message", "param"}}` plus an HTTP status.

The `stripe` library picks its exception class from the status and `error.type`, so these
must match what Stripe sends: 400/404 invalid_request_error -> InvalidRequestError,
idempotency_error -> IdempotencyError, 401 -> AuthenticationError, 402 -> CardError,
anything 5xx -> APIError.
"""

from __future__ import annotations

from typing import Any

SIMULATOR_NOTE = "the Ledgerline Stripe simulator does not implement it"


class StripeApiError(Exception):
    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        # Stripe leaves out the keys it has no value for rather than sending nulls.
        error: dict[str, Any] = {"message": self.message, "type": self.error_type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


def invalid_request(
    message: str, *, code: str | None = None, param: str | None = None, status: int = 400
) -> StripeApiError:
    return StripeApiError(status, "invalid_request_error", message, code=code, param=param)


def parameter_missing(param: str, message: str | None = None) -> StripeApiError:
    return invalid_request(
        message or f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def parameter_unknown(param: str) -> StripeApiError:
    return invalid_request(
        f"Received unknown parameter: {param} ({SIMULATOR_NOTE})",
        code="parameter_unknown",
        param=param,
    )


def parameters_exclusive(first: str, second: str) -> StripeApiError:
    return invalid_request(
        f"You may only specify one of these parameters: {first}, {second}.",
        code="parameters_exclusive",
        param=second,
    )


def resource_missing(noun: str, object_id: str, *, param: str | None = None) -> StripeApiError:
    # Stripe answers 404 for an unknown id in the URL, 400 for one passed as a parameter.
    return invalid_request(
        f"No such {noun}: '{object_id}'",
        code="resource_missing",
        param=param or "id",
        status=400 if param else 404,
    )


def invalid_state(message: str, *, code: str = "invoice_not_editable") -> StripeApiError:
    return invalid_request(message, code=code)


def amount_too_large(message: str, *, param: str = "amount") -> StripeApiError:
    return invalid_request(message, code="amount_too_large", param=param)


def card_declined(message: str, *, charge_id: str, decline_code: str) -> StripeApiError:
    return StripeApiError(
        402,
        "card_error",
        message,
        code="card_declined",
        extra={"decline_code": decline_code, "charge": charge_id},
    )


def api_error(message: str = "An unknown error occurred (simulated fault).") -> StripeApiError:
    return StripeApiError(500, "api_error", message)


def idempotency_mismatch(key: str) -> StripeApiError:
    return StripeApiError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were "
        f"first used with. Try using a key other than '{key}' if you meant to execute a "
        "different request.",
    )


def idempotency_in_use(key: str) -> StripeApiError:
    # Stripe's 409 for a duplicate that arrives while the first is still executing.
    return StripeApiError(
        409,
        "idempotency_error",
        f"There is currently another in-progress request using this Idempotent Key ({key}). "
        "Please try again later.",
        code="idempotency_key_in_use",
    )
