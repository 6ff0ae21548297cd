"""The simulator process: HTTP(S) server, routing, sessions, faults and request log.

`SalesforceSimulator` is both the server and its control panel. Tests drive it through
the Python API (`sim.store`, `sim.seed()`, `sim.fail_next()`, `sim.expire_sessions()`);
a server started by the management command is driven over HTTP under `/_sim/` (see
control.py). Only /services/... requests count as Salesforce API calls.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import bulk2, control, rest, soap
from .responses import Response, error_response, json_response, not_found
from .schema import Schema
from .seed import SeedSummary, seed_store
from .store import Clock, Store
from .tls import CertificatePair, ensure_certificate
from .values import StoreError

DEFAULT_VERSION = "59.0"
_VERSION_RE = re.compile(r"^/services/data/v(?P<version>[56]\d\.0)(?P<rest>/.*)?$")
_SOAP_RE = re.compile(r"^/services/Soap/u/(?P<version>\d+\.\d)/?$")
_FAULT_CODES = {
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    500: (
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if "
        "you contact support: 1234567890-12345 (-123456789)",
    ),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable, please retry"),
}


def invalid_session() -> StoreError:
    return StoreError("INVALID_SESSION_ID", "Session expired or invalid", 401)


@dataclass
class Fault:
    status: int
    error_code: str
    message: str
    delay: float = 0.0


class SalesforceSimulator:
    """A Salesforce org on 127.0.0.1. Start with `start()` or `with SalesforceSimulator():`."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        cert_dir: Path | str | None = None,
        batch_size: int = 2000,
        child_batch_size: int = 200,
        store: Store | None = None,
        clock: Clock | None = None,
        multi_currency: bool = True,
        default_currency: str = "USD",
        without_fields: frozenset[str] | set[str] = frozenset(),
        credentials: soap.Credentials | None = None,
        session_timeout: timedelta | None = None,
        daily_api_limit: int = 100_000,
        log_requests: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.certificate: CertificatePair | None = ensure_certificate(cert_dir) if tls else None
        self.batch_size = batch_size
        # Children of one record returned inline before the child result pages.
        self.child_batch_size = child_batch_size
        # The org's shape: multi-currency off (Salesforce's default for a new org) removes
        # CurrencyIsoCode everywhere; without_fields leaves out e.g. "Opportunity.PO_Number__c".
        self.store = store or Store(
            clock,
            schema=Schema(multi_currency=multi_currency, without=without_fields),
            default_currency=default_currency,
        )
        self.credentials = credentials or soap.Credentials()
        self.session_timeout = session_timeout
        self.daily_api_limit = daily_api_limit
        self.log_requests = log_requests
        self.cursors = rest.Cursors()
        self.bulk2_jobs = bulk2.Bulk2Jobs()
        self._lock = threading.Lock()
        self._sessions: dict[str, datetime] = {}
        self._faults: deque[Fault] = deque()
        self.request_log: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.request_count = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    def bind(self) -> _Server:
        """Open the listening socket (port 0 picks a free one) without serving yet."""
        if self._server is None:
            context = self.certificate.server_context() if self.certificate else None
            self._server = _Server((self.host, self.port), self, context)
            self.port = self._server.server_address[1]
        return self._server

    def start(self) -> SalesforceSimulator:
        """Serve from a background thread."""
        if self._thread is not None:
            return self
        server = self.bind()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"salesforce-simulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on the calling thread (the management command) until interrupted."""
        server = self.bind()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            server.close_all()
            self._server = None

    def stop(self) -> None:
        if self._server is None:
            return
        if self._thread is not None:
            self._server.shutdown()
        self._server.close_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SalesforceSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def instance(self) -> str:
        """host:port, what simple-salesforce calls sf_instance."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.instance}"

    @property
    def cert_path(self) -> Path | None:
        return self.certificate.cert_path if self.certificate else None

    # --- control API ----------------------------------------------------------------

    def issue_session(self) -> str:
        """A fresh session id, as a SOAP/OAuth login would return."""
        session_id = (f"{soap.ORG_ID[:15]}!AQ" + secrets.token_urlsafe(72)).replace("-", ".")
        with self._lock:
            self._sessions[session_id] = self.store.clock.now()
        return session_id

    def expire_sessions(self) -> None:
        """Invalidate every session: the next API call gets 401 INVALID_SESSION_ID."""
        with self._lock:
            self._sessions.clear()

    def fail_next(
        self,
        count: int = 1,
        status: int = 503,
        *,
        error_code: str | None = None,
        message: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next `count` REST calls (/services/data) fail with `status`."""
        default_code, default_message = _FAULT_CODES.get(
            status, ("UNKNOWN_EXCEPTION", "Simulated failure")
        )
        with self._lock:
            for _ in range(count):
                self._faults.append(
                    Fault(status, error_code or default_code, message or default_message, delay)
                )

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def seed(self, **options: Any) -> SeedSummary:
        """seed_store() on this simulator's store; see seed.py for the options."""
        return seed_store(self.store, **options)

    def reset(self) -> None:
        """Empty the org, drop cursors, faults and the request log; sessions stay valid."""
        self.store.reset()
        self.cursors.clear()
        self.bulk2_jobs.clear()
        with self._lock:
            self._faults.clear()
            self.request_log.clear()
            self.request_count = 0

    # --- request handling -----------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        """One HTTP request in, one response out; no sockets involved."""
        url = urlsplit(raw_path)
        path = url.path
        if path == "/_sim" or path.startswith("/_sim/"):
            return control.handle(self, method, path, parse_qs(url.query), body)
        with self._lock:
            self.request_count += 1
        started = time.perf_counter()
        try:
            response = self._route(method, path, url.query, headers, body)
        except StoreError as error:
            response = error_response(error)
        with self._lock:
            self.request_log.append(
                {
                    "method": method,
                    "path": raw_path,
                    "status": response.status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
            used = self.request_count
        response.headers.setdefault("Sforce-Limit-Info", f"api-usage={used}/{self.daily_api_limit}")
        return response

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Response:
        soap_match = _SOAP_RE.match(path)
        if soap_match and method == "POST":
            return self._soap_login(soap_match["version"], body)
        if path.rstrip("/") == "/services/data":
            return json_response(
                200,
                [
                    {"label": f"v{v}", "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                    for v in range(55, 63)
                ],
            )
        match = _VERSION_RE.match(path)
        if match is None:
            raise not_found()
        fault = self._next_fault()
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            raise StoreError(fault.error_code, fault.message, fault.status)
        self._authenticate(headers)
        return rest.handle(
            self,
            match["version"],
            method,
            match["rest"] or "",
            parse_qs(query, keep_blank_values=True),
            headers,
            body,
        )

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _authenticate(self, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            raise invalid_session()
        with self._lock:
            issued = self._sessions.get(token.strip())
        if issued is None:
            raise invalid_session()
        if self.session_timeout and self.store.clock.now() - issued > self.session_timeout:
            raise invalid_session()

    def _soap_login(self, version: str, body: bytes) -> Response:
        login = soap.parse_login(body)
        if login is None:
            return Response(
                500,
                soap.login_fault("INVALID_LOGIN", "Invalid login request"),
                "text/xml;charset=UTF-8",
            )
        username, password = login
        if not self.credentials.matches(username, password):
            return Response(500, soap.login_fault(), "text/xml;charset=UTF-8")
        xml = soap.login_response(
            session_id=self.issue_session(),
            server_base=self.url,
            version=version,
            user_id=self.store.default_user_id,
            username=self.credentials.username,
        )
        return Response(200, xml, "text/xml;charset=UTF-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], sim: SalesforceSimulator, context: ssl.SSLContext | None
    ) -> None:
        self.sim = sim
        self.context = context
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, on the connection's own thread, so a slow or
        # non-TLS client can't stall the accept loop.
        connection = request
        if self.context is not None:
            try:
                connection = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        with self._connections_lock:
            self._connections.add(connection)
        try:
            super().finish_request(connection, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(connection)
            # socketserver closes the raw socket it accepted; the TLS wrapper that took
            # over its file descriptor is ours to close.
            if connection is not request:
                self.shutdown_request(connection)

    def close_all(self) -> None:
        """Close the listener and any kept-alive connections, so a stopped simulator
        really stops answering."""
        self.server_close()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is not worth a traceback


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: requests reuses the TLS connection
    server_version = "SalesforceSimulator/1.0"
    timeout = 60
    server: _Server

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            response = self.server.sim.handle(self.command, self.path, headers, body)
        except Exception as error:  # a simulator bug must still answer like Salesforce
            response = error_response(StoreError("UNKNOWN_EXCEPTION", repr(error), 500))
        self.send_response(response.status)
        if response.status != 204:
            self.send_header("Content-Type", response.content_type)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.server.sim.log_requests:
            super().log_message(format, *args)
