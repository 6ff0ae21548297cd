"""Fixtures for talking to the Stripe simulator over real HTTP with the official library.

- `stripe_simulator`: one simulator per test session (port 0), short webhook retries.
- `stripe_client`: resets the simulator and returns a `stripe.StripeClient` pointed at it.
- `sim_http`: raw HTTP calls, for what the library hides (headers, /_sim control API).
- `webhook_receiver`: a local HTTP endpoint that records deliveries and can fail on cue.
- `wait_until`: poll a condition with a deadline instead of sleeping.
- `stripe_customer`, `make_stripe_invoice`: a customer and one-off send_invoice invoices.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import stripe

from integrations.stripe.simulator import (
    TEST_API_KEY,
    RunningSimulator,
    WebhookPolicy,
    start_simulator,
)

# Delivery retries in milliseconds so a retried webhook lands quickly.
FAST_WEBHOOKS = WebhookPolicy(initial_delay=0.05, multiplier=2, max_attempts=4, timeout=2)


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01) -> Any:
    """Poll until `condition()` is truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(interval)


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., Any]:
    return wait_until


@pytest.fixture(scope="session")
def stripe_simulator() -> Iterator[RunningSimulator]:
    with start_simulator(port=0, webhook_policy=FAST_WEBHOOKS) as simulator:
        yield simulator


@pytest.fixture
def stripe_client(stripe_simulator: RunningSimulator) -> stripe.StripeClient:
    stripe_simulator.reset()
    # No library retries by default, so a test sees each simulated failure itself.
    return stripe.StripeClient(
        api_key=TEST_API_KEY,
        base_addresses={"api": stripe_simulator.url},
        max_network_retries=0,
    )


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str]
    body: Any


@pytest.fixture
def sim_http(stripe_simulator: RunningSimulator) -> Callable[..., HttpReply]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> HttpReply:
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(
            stripe_simulator.url + path, data=data, method=method, headers=headers
        )
        try:
            with opener.open(request, timeout=10) as response:
                status, raw, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as err:
            status, raw, reply_headers = err.code, err.read(), err.headers
        return HttpReply(status, dict(reply_headers.items()), json.loads(raw) if raw else None)

    return call


@dataclass
class Delivery:
    body: str
    signature: str


@dataclass
class WebhookReceiver:
    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    failures_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, count: int) -> None:
        with self.lock:
            self.failures_left = count

    def event_types(self) -> list[str]:
        with self.lock:
            return [json.loads(d.body)["type"] for d in self.deliveries]

    def wait_for(self, event_type: str, timeout: float = 5.0) -> Delivery:
        def find() -> Delivery | None:
            with self.lock:
                for delivery in self.deliveries:
                    if json.loads(delivery.body)["type"] == event_type:
                        return delivery
            return None

        return wait_until(find, timeout)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            with receiver.lock:
                failing = receiver.failures_left > 0
                if failing:
                    receiver.failures_left -= 1
                else:
                    receiver.deliveries.append(Delivery(body, self.headers["Stripe-Signature"]))
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/stripe/webhooks"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def stripe_customer(stripe_client: stripe.StripeClient) -> stripe.Customer:
    return stripe_client.v1.customers.create(params={"name": "Acme Corp", "email": "ap@acme.test"})


@pytest.fixture
def make_stripe_invoice(
    stripe_client: stripe.StripeClient, stripe_customer: stripe.Customer
) -> Callable[..., stripe.Invoice]:
    """A one-off send_invoice invoice with one line per amount, finalized unless told not."""

    def make(
        amounts: tuple[int, ...] = (10_000, 2_500),
        *,
        currency: str = "usd",
        finalize: bool = True,
        metadata: dict[str, str] | None = None,
    ) -> stripe.Invoice:
        invoice = stripe_client.v1.invoices.create(
            params={
                "customer": stripe_customer.id,
                "currency": currency,
                "collection_method": "send_invoice",
                "days_until_due": 30,
                "metadata": metadata or {},
            }
        )
        for amount in amounts:
            stripe_client.v1.invoice_items.create(
                params={
                    "customer": stripe_customer.id,
                    "invoice": invoice.id,
                    "currency": currency,
                    "amount": amount,
                    "description": f"Line of {amount}",
                }
            )
        if finalize:
            return stripe_client.v1.invoices.finalize_invoice(invoice.id)
        return stripe_client.v1.invoices.retrieve(invoice.id)

    return make


# --- Ledgerline's side: issued invoices, Stripe settings, Celery ---------------------------
# (for test_push*.py, test_webhook*.py and tests/integrations/test_end_to_end.py)

WEBHOOK_SECRET = "whsec_ledgerline_tests"


@pytest.fixture
def stripe_settings(
    settings, stripe_client, stripe_simulator: RunningSimulator
) -> RunningSimulator:
    """Ledgerline pointed at the (freshly reset) simulator; e-mail kept in memory, since
    issuing also e-mails the invoice (billing's own ON_ISSUE hook)."""
    settings.STRIPE_API_KEY = TEST_API_KEY
    settings.STRIPE_API_BASE = stripe_simulator.url
    settings.STRIPE_ENABLED = True
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return stripe_simulator


@pytest.fixture
def eager_celery() -> Iterator[Any]:
    """Tasks queued with .delay() run at once in the test (as in the demo)."""
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def activate(contract):
    """Submit, approve as many times as its review needs (distinct approvers), activate."""
    from ordermgmt import roles, services
    from tests.factories import UserFactory

    services.submit_contract(contract=contract, actor=None)
    contract.refresh_from_db()
    while contract.status == "pending_review":
        approver = UserFactory(role=roles.DEAL_DESK)
        services.approve_contract(contract=contract, actor=approver, comment="Standard enough.")
        contract.refresh_from_db()
    return services.activate_contract(contract=contract, actor=None)


def issue_invoice_for(*, invoice_date=None, **kwargs):
    """An active contract, a billing run for today, and its draft issued today (so the
    due date lies ahead, as Stripe requires). Returns the issued invoice."""
    from django.utils import timezone

    from billing.services import issue_invoice

    return issue_invoice(
        invoice=draft_invoice_for(**kwargs),
        actor=None,
        invoice_date=invoice_date or timezone.localdate(),
    )


def draft_invoice_for(
    *,
    currency: str = "USD",
    unit_price: str = "1200",
    quantity: str = "10",
    country: str = "US",
    tax_percent: str | None = None,
    account=None,
    lines: int = 1,
):
    """An active contract and the draft a billing run for today made of it."""
    from decimal import Decimal

    from django.utils import timezone

    from billing.models import BillingRun, Invoice, LegalEntity, TaxRate
    from billing.services import execute_billing_run, queue_billing_run
    from tests.factories import (
        LegalEntityFactory,
        TaxRateFactory,
        billable_account,
        line_input,
        make_contract,
    )

    if not LegalEntity.objects.filter(is_default=True).exists():
        LegalEntityFactory()
    if tax_percent is not None and not TaxRate.objects.filter(country=country).exists():
        TaxRateFactory(country=country, name="VAT", percent=Decimal(tax_percent))
    account = account or billable_account(billing_country=country)
    contract = activate(
        make_contract(
            account=account,
            currency=currency,
            lines=[
                line_input(unit_price=Decimal(unit_price), quantity=Decimal(quantity))
                for _ in range(lines)
            ],
        )
    )
    run = queue_billing_run(run_date=timezone.localdate(), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return Invoice.objects.get(contract=contract, status="draft")


def sign_payload(payload: str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header, computed the way Stripe documents it."""
    import hashlib
    import hmac

    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def celery_app():
    from config.celery import app

    return app


@contextmanager
def retries_in_place():
    """Celery runs an eager task's retries in place (skipping the backoff wait) only when
    eager errors do not propagate; the project propagates them, so lift that here."""
    saved = celery_app().conf.task_eager_propagates
    celery_app().conf.task_eager_propagates = False
    try:
        yield
    finally:
        celery_app().conf.task_eager_propagates = saved


def run_push(invoice_id: int, retries: int = 0) -> str:
    """The Celery task with its automatic retries; returns the push's final state."""
    from integrations.stripe.tasks import push_invoice_to_stripe

    with retries_in_place():
        return push_invoice_to_stripe.apply(args=[invoice_id], retries=retries).get()


def run_credit_note_push(credit_note_id: int, retries: int = 0) -> str:
    from integrations.stripe.tasks import push_credit_note_to_stripe

    with retries_in_place():
        return push_credit_note_to_stripe.apply(args=[credit_note_id], retries=retries).get()
