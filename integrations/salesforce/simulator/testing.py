"""Run the simulator in-process and connect simple-salesforce to it.

    with running_simulator(batch_size=3) as sim:
        sim.seed(accounts=5, opportunities=20)
        sf = sim.salesforce()                      # session-id auth, no login call
        sf = sim.salesforce(auth="password")       # real SOAP login via the simulator
        sf.query_all("SELECT Id, Name FROM Opportunity")

How a client reaches it:
- simple-salesforce builds every URL as https://{instance}/..., so the simulator serves
  TLS with its own certificate. The requests session needs `verify=sim.cert_path` AND
  `trust_env=False` (REQUESTS_CA_BUNDLE in the environment overrides `verify`).
- Session-id auth: `Salesforce(instance_url=sim.url, session_id=sim.issue_session(),
  session=session)`.
- Password auth: `Salesforce(username=, password=, security_token=)` always posts to
  https://{domain}.salesforce.com and `domain` can't carry a port, so the session gets a
  `RedirectAdapter` mounted on https://login.salesforce.com/ (and test.) that sends the
  login to the simulator; its reply's serverUrl then points straight back at it.
  Alternatively `SalesforceLogin(..., scratch_url=sim.url, session=session)` returns
  (session_id, instance) for the direct form.
- Plain-HTTP mode (`tls=False`): the session also mounts a RedirectAdapter on the
  https:// instance URL that rewrites it to http://.
`simulator_session(url, cert_path)` builds exactly that session, also for a simulator
started by `manage.py run_salesforce_simulator` in another process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

from .server import DEFAULT_VERSION, SalesforceSimulator

LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")


class RedirectAdapter(HTTPAdapter):
    """Sends every request it's mounted for to `target` (scheme://host:port) instead."""

    def __init__(self, target: str, **kwargs: Any) -> None:
        self.target = urlsplit(target)
        super().__init__(**kwargs)

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = urlunsplit(
            (self.target.scheme, self.target.netloc, parts.path, parts.query, parts.fragment)
        )
        return super().send(request, *args, **kwargs)


def simulator_session(
    url: str,
    cert_path: str | Path | None = None,
    *,
    login_domains: tuple[str, ...] = LOGIN_HOSTS,
) -> requests.Session:
    """A requests session for simple-salesforce that reaches the simulator at `url`.

    Works for an in-process simulator and for one started by run_salesforce_simulator
    (pass the URL and certificate path it prints).
    """
    target = urlsplit(url)
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE wins over verify
    if cert_path is not None:
        session.verify = str(cert_path)
    for host in login_domains:
        session.mount(f"https://{host}/", RedirectAdapter(url))
    if target.scheme == "http":
        # simple-salesforce only speaks https://; rewrite it back for plain-HTTP mode.
        session.mount(f"https://{target.netloc}/", RedirectAdapter(url))
    return session


class SimulatorHarness(SalesforceSimulator):
    """The simulator plus client helpers for tests, the benchmark and the demo."""

    _session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """A requests session that trusts this simulator and nothing in the environment."""
        if self._session is None:
            self._session = self.new_session()
        return self._session

    def new_session(self, *, login_domains: tuple[str, ...] = LOGIN_HOSTS) -> requests.Session:
        return simulator_session(self.url, self.cert_path, login_domains=login_domains)

    def salesforce(
        self,
        *,
        auth: str = "session",
        version: str = DEFAULT_VERSION,
        session: requests.Session | None = None,
        **kwargs: Any,
    ) -> Any:
        """A simple_salesforce.Salesforce connected to this simulator.

        auth="session": a fresh session id, no login request (an expired session raises
        SalesforceExpiredSession). auth="password": SOAP login with `self.credentials`
        (an expired session is renewed by simple-salesforce's own re-login).
        """
        from simple_salesforce import Salesforce

        session = session or self.session
        if auth == "session":
            return Salesforce(
                instance_url=f"https://{self.instance}",
                session_id=self.issue_session(),
                session=session,
                version=version,
                **kwargs,
            )
        if auth == "password":
            creds = self.credentials
            return Salesforce(
                username=creds.username,
                password=creds.password,
                security_token=creds.security_token,
                session=session,
                version=version,
                **kwargs,
            )
        raise ValueError(f"unknown auth {auth!r}: use 'session' or 'password'")

    def login(self, *, version: str = DEFAULT_VERSION) -> tuple[str, str]:
        """(session_id, instance) from a SOAP login, via SalesforceLogin(scratch_url=...)."""
        from simple_salesforce import SalesforceLogin

        creds = self.credentials
        return SalesforceLogin(
            username=creds.username,
            password=creds.password,
            security_token=creds.security_token,
            sf_version=version,
            session=self.session,
            scratch_url=self.url,
        )

    def stop(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        super().stop()


@contextmanager
def running_simulator(**options: Any) -> Iterator[SimulatorHarness]:
    """Start a simulator on a free port in a background thread; stop it on exit.

    Options are SalesforceSimulator's (batch_size, tls, clock, credentials, ...).
    """
    sim = SimulatorHarness(**options)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
