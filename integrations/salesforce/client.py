"""Our one door to Salesforce: a simple_salesforce.Salesforce built from the settings.

Two ways to sign in, chosen by which settings are present:

- **Session id** (`SALESFORCE_INSTANCE_URL` + `SALESFORCE_SESSION_ID`): no login call. An
  expired session can't be renewed here, so it raises `SalesforceSessionExpired` (the
  task retries, then the run fails and says to renew the session id).
- **Username, password and security token**: a SOAP login, posted to
  `SALESFORCE_INSTANCE_URL` when it is set (a My Domain URL, or our simulator) and to
  `https://{SALESFORCE_DOMAIN or "login"}.salesforce.com` otherwise. An expired session
  is renewed by logging in again, once per call.

`SALESFORCE_CA_BUNDLE` pins the certificate authority (the simulator's self-signed
certificate). It also switches off `trust_env`: this machine sets REQUESTS_CA_BUNDLE,
which requests would otherwise prefer to `verify`. Every request has a timeout.

Errors come out as our own classes (errors.py): retryable `SalesforceUnavailable` /
`SalesforceSessionExpired`, or permanent `SalesforceRequestRefused`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

import requests
from django.conf import settings
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
)
from simple_salesforce.exceptions import (
    SalesforceError as LibraryError,
)
from simple_salesforce.exceptions import (
    SalesforceExpiredSession as LibraryExpiredSession,
)

from .errors import (
    SalesforceError,
    SalesforceNotConfigured,
    SalesforceRequestRefused,
    SalesforceSessionExpired,
    SalesforceUnavailable,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_API_VERSION = "59.0"
DEFAULT_TIMEOUT_SECONDS = 30.0
# 403 with this code is the org's daily API limit: it clears with time, so retry.
TRANSIENT_ERROR_CODES = {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}


@dataclass(frozen=True)
class SalesforceConfig:
    instance_url: str = ""
    session_id: str = ""
    username: str = ""
    password: str = ""
    security_token: str = ""
    domain: str = ""
    ca_bundle: str = ""
    api_version: str = DEFAULT_API_VERSION
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls) -> SalesforceConfig:
        return cls(
            instance_url=(getattr(settings, "SALESFORCE_INSTANCE_URL", "") or "").rstrip("/"),
            session_id=getattr(settings, "SALESFORCE_SESSION_ID", "") or "",
            username=getattr(settings, "SALESFORCE_USERNAME", "") or "",
            password=getattr(settings, "SALESFORCE_PASSWORD", "") or "",
            security_token=getattr(settings, "SALESFORCE_SECURITY_TOKEN", "") or "",
            domain=getattr(settings, "SALESFORCE_DOMAIN", "") or "",
            ca_bundle=str(getattr(settings, "SALESFORCE_CA_BUNDLE", "") or ""),
            api_version=getattr(settings, "SALESFORCE_API_VERSION", "") or DEFAULT_API_VERSION,
            timeout=float(getattr(settings, "SALESFORCE_TIMEOUT", None) or DEFAULT_TIMEOUT_SECONDS),
        )

    @property
    def can_login(self) -> bool:
        return bool(self.username and self.password)

    @property
    def is_configured(self) -> bool:
        return self.can_login or bool(self.instance_url and self.session_id)

    def describe(self) -> str:
        """Where and how we connect, for pages and the command (no secrets)."""
        if not self.is_configured:
            return "not configured"
        target = self.instance_url or f"https://{self.domain or 'login'}.salesforce.com"
        how = "username and password" if self.can_login else "session id"
        return f"{target} ({how})"


class TimeoutSession(requests.Session):
    """A requests session whose every request has a timeout unless one is given."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def build_session(config: SalesforceConfig) -> requests.Session:
    session = TimeoutSession(config.timeout)
    if config.ca_bundle:
        session.verify = config.ca_bundle
        session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment wins
    return session


@dataclass
class QueryPage:
    records: list[dict[str, Any]]
    total_size: int
    first: bool


def _error_code(error: LibraryError) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _error_message(error: LibraryError) -> str:
    content = getattr(error, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("message", ""))[:200]
    return ""


def translate(error: Exception) -> SalesforceError:
    """simple-salesforce and requests exceptions -> ours (retryable or not)."""
    if isinstance(error, SalesforceError):
        return error
    if isinstance(error, requests.exceptions.SSLError):
        return SalesforceRequestRefused(
            "TLS failed: the certificate is not trusted (check SALESFORCE_CA_BUNDLE).",
            code="TLS_ERROR",
        )
    if isinstance(error, requests.Timeout):
        return SalesforceUnavailable("Salesforce did not answer in time.", code="TIMEOUT")
    if isinstance(error, requests.ConnectionError):
        return SalesforceUnavailable("Could not connect to Salesforce.", code="CONNECTION_ERROR")
    if isinstance(error, SalesforceAuthenticationFailed):
        code = str(getattr(error, "code", "") or "")
        if code.isdigit() and int(code) >= 500:
            return SalesforceUnavailable(f"Salesforce login failed with HTTP {code}.", code=code)
        return SalesforceRequestRefused(
            f"Salesforce refused the login ({code or 'no code'}).", code=code or "LOGIN_FAILED"
        )
    if isinstance(error, LibraryExpiredSession):
        return SalesforceSessionExpired(
            "The Salesforce session expired.", code=_error_code(error), status=401
        )
    if isinstance(error, LibraryError):
        status = getattr(error, "status", None)
        code = _error_code(error)
        detail = f"Salesforce answered HTTP {status} {code}".strip()
        if (status is not None and status >= 500) or code in TRANSIENT_ERROR_CODES:
            return SalesforceUnavailable(detail + ".", code=code, status=status)
        message = _error_message(error)
        return SalesforceRequestRefused(
            f"{detail}: {message}" if message else detail + ".", code=code, status=status
        )
    raise error


class SalesforceClient:
    """Connects lazily; every call maps errors and renews an expired password session once."""

    def __init__(self, config: SalesforceConfig | None = None) -> None:
        self.config = config or SalesforceConfig.from_settings()
        if not self.config.is_configured:
            raise SalesforceNotConfigured(
                "Salesforce is not configured: set SALESFORCE_INSTANCE_URL and "
                "SALESFORCE_SESSION_ID, or SALESFORCE_USERNAME, SALESFORCE_PASSWORD and "
                "SALESFORCE_SECURITY_TOKEN.",
                code="NOT_CONFIGURED",
            )
        self.session = build_session(self.config)
        self.request_count = 0
        self._sf: Salesforce | None = None

    # --- connection -------------------------------------------------------------------

    def _login(self) -> tuple[str, str]:
        config = self.config
        self.request_count += 1
        kwargs: dict[str, Any] = {
            "username": config.username,
            "password": config.password,
            "security_token": config.security_token,
            "sf_version": config.api_version,
            "session": self.session,
        }
        if config.instance_url:
            kwargs["scratch_url"] = config.instance_url
        else:
            kwargs["domain"] = config.domain or "login"
        try:
            return SalesforceLogin(**kwargs)
        except Exception as error:  # noqa: BLE001 - translated, or re-raised if unknown
            raise translate(error) from error

    def connect(self) -> Salesforce:
        if self._sf is None:
            common = {
                "session": self.session,
                "version": self.config.api_version,
                "parse_float": Decimal,  # money never passes through float
                "object_pairs_hook": dict,
            }
            if self.config.can_login:
                session_id, instance = self._login()
                self._sf = Salesforce(session_id=session_id, instance=instance, **common)
            else:
                self._sf = Salesforce(
                    instance_url=self.config.instance_url,
                    session_id=self.config.session_id,
                    **common,
                )
        return self._sf

    def call(self, operation: Callable[[Salesforce], T]) -> T:
        """Run one API call; log in again once if the session expired (password auth)."""
        sf = self.connect()
        for attempt in (1, 2):
            self.request_count += 1
            try:
                return operation(sf)
            except LibraryExpiredSession as error:
                if attempt == 1 and self.config.can_login:
                    logger.info("Salesforce session expired; logging in again")
                    self._sf = None
                    sf = self.connect()
                    continue
                raise SalesforceSessionExpired(
                    "The Salesforce session expired"
                    + (
                        " and a new login did not help."
                        if self.config.can_login
                        else "; renew SALESFORCE_SESSION_ID or configure a username and "
                        "password so that Ledgerline can log in again."
                    ),
                    code="INVALID_SESSION_ID",
                    status=401,
                ) from error
            except (LibraryError, requests.RequestException) as error:
                raise translate(error) from error
        raise AssertionError("unreachable")

    # --- reads --------------------------------------------------------------------------

    def query_pages(self, soql: str, *, include_deleted: bool = False) -> Iterator[QueryPage]:
        """One page at a time, following nextRecordsUrl (what query_all does internally)."""
        result = self.call(lambda sf: sf.query(soql, include_deleted=include_deleted))
        total = int(result.get("totalSize", 0))
        first = True
        while True:
            yield QueryPage(records=list(result.get("records", [])), total_size=total, first=first)
            first = False
            if result.get("done", True):
                return
            next_url = result["nextRecordsUrl"]
            result = self.call(lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True))

    def describe(self, sf_object: str) -> dict[str, Any]:
        """GET sobjects/{sf_object}/describe: the fields this user can see, and more."""
        return self.call(lambda sf: getattr(sf, sf_object).describe())

    def org_default_currency(self) -> str:
        """The org's currency (Organization.DefaultCurrencyIsoCode)."""
        result = self.call(lambda sf: sf.query("SELECT DefaultCurrencyIsoCode FROM Organization"))
        records = result.get("records") or []
        return str(records[0].get("DefaultCurrencyIsoCode") or "") if records else ""

    def rest_of_children(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        """Every record of a child relationship result (a subquery's), following its
        nextRecordsUrl while it says `done: false`. Call it before asking the parent query
        for its next page: that invalidates the child cursors of the previous page."""
        records = list(result.get("records") or [])
        while not result.get("done", True) and result.get("nextRecordsUrl"):
            next_url = result["nextRecordsUrl"]
            result = self.call(lambda sf, url=next_url: sf.query_more(url, identifier_is_url=True))
            records.extend(result.get("records") or [])
        return records

    def close(self) -> None:
        self.session.close()
