"""Salesforce failures as Ledgerline sees them: retry later, or stop and tell someone.

The task retries `SalesforceUnavailable` and `SalesforceSessionExpired` with backoff;
everything else fails the run at once (wrong credentials, a query Salesforce refuses).
Messages carry status codes and Salesforce error codes only, never record data.
"""

from __future__ import annotations


class SalesforceError(Exception):
    """Base class. `code` is Salesforce's errorCode (or ours), `status` the HTTP status."""

    retryable = False

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class SalesforceUnavailable(SalesforceError):
    """Outage, 5xx, request limit, timeout or connection error: try again later."""

    retryable = True


class SalesforceSessionExpired(SalesforceError):
    """401 INVALID_SESSION_ID that a new login could not cure (or no login is configured)."""

    retryable = True


class SalesforceRequestRefused(SalesforceError):
    """A permanent error: bad credentials, malformed query, unknown field or object."""


class SalesforceNotConfigured(SalesforceError):
    """No instance URL and no credentials in the settings."""
