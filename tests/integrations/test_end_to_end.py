"""Order to cash, end to end, on a real Celery worker consuming from Redis:

Closed Won opportunity in (simulated) Salesforce -> sync (worker) -> draft contract ->
deal desk approval -> activation -> billing run (worker) -> issue -> Stripe invoice
(pushed by the worker to the Stripe simulator) -> the customer pays by card in Stripe ->
signed webhook to our live server -> Payment applied -> invoice paid.

Only the outside services are simulated, over real HTTP(S) with their official client
libraries; everything of ours runs as in production.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from billing.models import BillingRun, Invoice, Payment, PaymentApplication
from billing.services import issue_invoice, queue_billing_run
from config.celery import app
from integrations.salesforce.services import start_sync
from integrations.stripe.currencies import to_stripe_amount
from integrations.stripe.models import PushState, StripeInvoicePush
from integrations.stripe.webhooks import SUBSCRIBED_EVENTS
from ordermgmt import roles
from ordermgmt.models import Contract
from tests.factories import LegalEntityFactory, TaxRateFactory, UserFactory
from tests.integrations.salesforce.conftest import (  # noqa: F401  (fixtures)
    org_options,
    sf_bookings,
    sf_settings,
    sf_sim,
)
from tests.integrations.stripe.conftest import (  # noqa: F401  (fixtures)
    activate,
    stripe_client,
    stripe_settings,
    stripe_simulator,
    wait_until,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker_on_redis(settings):
    """A real worker (solo pool, in a thread) on the Redis broker of settings.REDIS_URL."""
    assert settings.REDIS_URL, "the end-to-end test needs REDIS_URL"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.REDIS_URL
    app.control.purge()  # nothing left over from an earlier run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker
    app.conf.task_always_eager, app.conf.broker_url = saved


@pytest.fixture
def outside(request) -> SimpleNamespace:
    """Both simulators, with Ledgerline's settings pointing at them (the fixtures come
    from the Salesforce and Stripe test packages)."""
    request.getfixturevalue("sf_settings")
    return SimpleNamespace(
        stripe=request.getfixturevalue("stripe_settings"),
        stripe_client=request.getfixturevalue("stripe_client"),
        salesforce=request.getfixturevalue("sf_bookings"),
    )


def test_a_closed_won_deal_is_invoiced_pushed_to_stripe_paid_by_card_and_recorded(
    outside, settings, live_server, celery_worker_on_redis
):
    stripe_sim, stripe_api = outside.stripe, outside.stripe_client
    LegalEntityFactory()
    TaxRateFactory(country="US", percent=0)
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    endpoint = stripe_api.v1.webhook_endpoints.create(
        params={
            "url": live_server.url + "/integrations/stripe/webhook/",
            "enabled_events": SUBSCRIBED_EVENTS,
        }
    )
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret

    # Salesforce: a Closed Won deal, synced by the worker into a draft contract.
    opportunity_id = outside.salesforce.deal(lines=[("LL-SEAT", 10, "1200.00", None)])
    start_sync(actor=specialist)
    contract = wait_until(
        lambda: Contract.objects.filter(opportunity__salesforce_id=opportunity_id).first(),
        timeout=60,
    )

    # Deal desk approval (as many approvers as the review asks for), then activation.
    contract = activate(contract)
    assert contract.status == "active"

    # The billing run executes in the worker.
    run = queue_billing_run(run_date=timezone.localdate(), actor=specialist)
    wait_until(lambda: BillingRun.objects.get(pk=run.pk).status == "completed", timeout=60)
    draft = Invoice.objects.get(contract=contract, status="draft")

    # Issuing queues the Stripe push; the worker makes and finalizes the Stripe invoice.
    invoice = issue_invoice(invoice=draft, actor=specialist, invoice_date=timezone.localdate())
    push = wait_until(
        lambda: StripeInvoicePush.objects.filter(invoice=invoice, state=PushState.PUSHED).first(),
        timeout=60,
    )
    stripe_invoice = stripe_api.v1.invoices.retrieve(push.stripe_invoice_id)
    assert stripe_invoice.status == "open"
    assert stripe_invoice.total == to_stripe_amount(invoice.total_amount, invoice.currency)
    assert stripe_invoice.metadata.ledgerline_invoice_number == invoice.number
    assert stripe_sim.count("invoice") == 1

    # The customer pays on Stripe's side; Stripe's signed webhook reaches our server.
    stripe_sim.customer_pay(stripe_invoice.id, "pm_card_visa")
    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).settlement_status == "paid", timeout=60)
    # One Payment per Stripe payment: the invoice payment's id is its external id.
    (paid,) = stripe_api.v1.invoice_payments.list(params={"invoice": stripe_invoice.id}).data
    payment = Payment.objects.get(external_id=paid.id)
    assert (payment.method, payment.amount, payment.currency) == (
        "stripe",
        invoice.total_amount,
        invoice.currency,
    )
    application = PaymentApplication.objects.get(payment=payment)
    assert (application.invoice_id, application.amount) == (invoice.pk, invoice.total_amount)
    assert Invoice.objects.get(pk=invoice.pk).open_amount == 0
    assert stripe_sim.count("invoice") == 1
