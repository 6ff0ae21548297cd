"""Stripe events in: signed, de-duplicated, and a paid Stripe invoice becomes one Payment
applied through billing's own payment service.

Events come from the simulator: as real deliveries to our endpoint (live server), or
read back from its /v1/events and posted again, to play duplicates and odd orders."""

from __future__ import annotations

import copy
import io
import json
import time

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from billing.models import Invoice, Payment, PaymentApplication
from billing.services import void_invoice
from integrations.stripe.models import StripeInvoicePush, StripeWebhookEvent, WebhookOutcome
from integrations.stripe.simulator import TEST_API_KEY
from integrations.stripe.webhooks import SUBSCRIBED_EVENTS

from .conftest import WEBHOOK_SECRET, issue_invoice_for, run_push, sign_payload

WEBHOOK = "/integrations/stripe/webhook/"


def pushed_invoice(**kwargs) -> Invoice:
    invoice = issue_invoice_for(**kwargs)
    assert run_push(invoice.pk) == "pushed"
    return Invoice.objects.get(pk=invoice.pk)


def stripe_event(sim_http, event_type: str, object_id: str) -> dict:
    """The simulator's own event, as Stripe would have sent it."""
    reply = sim_http(
        "GET",
        f"/v1/events?type={event_type}&limit=100",
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    )
    (event,) = [e for e in reply.body["data"] if e["data"]["object"]["id"] == object_id]
    return event


def deliver(client, event: dict | str, *, secret: str = WEBHOOK_SECRET, timestamp=None):
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign_payload(payload, secret, timestamp),
    )


def outcome(event: dict) -> str:
    return StripeWebhookEvent.objects.get(event_id=event["id"]).outcome


def test_the_webhook_url_is_the_one_the_demo_registers():
    assert reverse("stripe_billing:webhook") == WEBHOOK


@pytest.mark.django_db(transaction=True)
def test_a_signed_invoice_paid_from_stripe_records_one_payment_and_pays_our_invoice(
    stripe_settings, stripe_client, settings, live_server, wait_until
):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": live_server.url + WEBHOOK, "enabled_events": SUBSCRIBED_EVENTS}
    )
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
    invoice = pushed_invoice()

    stripe_settings.customer_pay(invoice.stripe_invoice_id, "pm_card_visa")
    assert stripe_settings.wait_for_webhooks(timeout=15)

    payment = Payment.objects.get()
    (paid,) = stripe_client.v1.invoice_payments.list(
        params={"invoice": invoice.stripe_invoice_id}
    ).data
    assert (payment.method, payment.external_id) == ("stripe", paid.id)
    assert (payment.amount, payment.currency) == (invoice.total_amount, "USD")
    assert payment.account_id == invoice.account_id
    application = PaymentApplication.objects.get()
    assert (application.invoice_id, application.amount) == (invoice.pk, invoice.total_amount)
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("paid", 0)
    outcomes = dict(StripeWebhookEvent.objects.values_list("type", "outcome"))
    assert {outcomes["invoice.paid"], outcomes["invoice.payment_succeeded"]} == {
        WebhookOutcome.PAYMENT_RECORDED,
        WebhookOutcome.ALREADY_RECORDED,
    }
    assert outcomes["invoice.finalized"] == WebhookOutcome.STATUS_NOTED
    deliveries = stripe_settings.webhook_deliveries()
    assert deliveries and all(d["status"] == 200 for d in deliveries)
    assert StripeInvoicePush.objects.get(invoice=invoice).stripe_status == "paid"


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_changes_nothing(stripe_settings, client, sim_http):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    response = deliver(client, event, secret="whsec_someone_else")
    assert response.status_code == 400
    payload = json.dumps(event)
    forged = payload.replace('"amount_paid": 1200000', '"amount_paid": 1')
    assert (
        client.post(
            WEBHOOK,
            data=forged,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=sign_payload(payload),
        ).status_code
        == 400
    )
    assert client.post(WEBHOOK, data=payload, content_type="application/json").status_code == 400
    assert not StripeWebhookEvent.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_stale_signature_is_refused_as_a_replay(stripe_settings, client, sim_http):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    assert deliver(client, event, timestamp=int(time.time()) - 600).status_code == 400
    assert not StripeWebhookEvent.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_without_a_webhook_secret_events_are_refused_for_stripe_to_retry(
    stripe_settings, settings, client
):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = deliver(client, {"id": "evt_1", "type": "invoice.paid"})
    assert response.status_code == 503
    assert client.get(WEBHOOK).status_code == 405


@pytest.mark.django_db
def test_the_same_event_delivered_twice_records_one_payment(stripe_settings, client, sim_http):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    first, second = deliver(client, event), deliver(client, event)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["outcome"] == second.json()["outcome"] == "payment_recorded"
    row = StripeWebhookEvent.objects.get(event_id=event["id"])
    assert row.deliveries == 2 and row.payment is not None
    assert Payment.objects.count() == 1 and PaymentApplication.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.settlement_status == "paid"


@pytest.mark.django_db
def test_payment_succeeded_and_paid_for_the_same_payment_record_it_once(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    succeeded = stripe_event(sim_http, "invoice.payment_succeeded", invoice.stripe_invoice_id)
    paid = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    deliver(client, succeeded)
    deliver(client, paid)
    assert outcome(succeeded) == WebhookOutcome.PAYMENT_RECORDED
    assert outcome(paid) == WebhookOutcome.ALREADY_RECORDED
    assert Payment.objects.count() == 1 and PaymentApplication.objects.count() == 1


@pytest.mark.django_db
def test_events_out_of_order_change_nothing_twice_and_never_move_the_status_back(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    paid = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    finalized = stripe_event(sim_http, "invoice.finalized", invoice.stripe_invoice_id)
    # A voided event arriving before the paid one (Stripe never voids a paid invoice, but
    # events can arrive in any order and from any source).
    voided = copy.deepcopy(paid)
    voided.update(id="evt_out_of_order_void", type="invoice.voided", created=paid["created"] - 1)
    voided["data"]["object"]["status"] = "void"

    deliver(client, voided)
    assert outcome(voided) == WebhookOutcome.VOIDED_IN_STRIPE
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"  # never voided from here
    deliver(client, paid)
    assert outcome(paid) == WebhookOutcome.PAYMENT_RECORDED
    deliver(client, finalized)  # older, late: the status stays paid
    deliver(client, paid)
    assert outcome(finalized) == WebhookOutcome.STATUS_NOTED
    assert StripeInvoicePush.objects.get(invoice=invoice).stripe_status == "paid"
    assert Payment.objects.count() == 1 and PaymentApplication.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).settlement_status == "paid"


@pytest.mark.django_db
def test_a_paid_event_before_our_push_stored_the_stripe_id_still_finds_our_invoice(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_id = invoice.stripe_invoice_id
    # As after a worker died between creating the invoice and recording its id.
    StripeInvoicePush.objects.filter(invoice=invoice).update(stripe_invoice_id="")
    Invoice.objects.filter(pk=invoice.pk).update(stripe_invoice_id="")
    stripe_settings.customer_pay(stripe_id)
    deliver(client, stripe_event(sim_http, "invoice.paid", stripe_id))
    assert PaymentApplication.objects.get().invoice_id == invoice.pk


@pytest.mark.django_db
def test_an_event_for_an_invoice_we_did_not_make_is_recorded_and_ignored(
    stripe_settings, client, sim_http, make_stripe_invoice
):
    foreign = make_stripe_invoice()
    stripe_settings.customer_pay(foreign.id)
    event = stripe_event(sim_http, "invoice.paid", foreign.id)
    response = deliver(client, event)
    assert response.status_code == 200 and response.json()["outcome"] == "unknown_invoice"
    assert StripeWebhookEvent.objects.get(event_id=event["id"]).processed_at is not None
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_metadata_naming_an_invoice_linked_elsewhere_is_ignored(
    stripe_settings, client, sim_http, make_stripe_invoice
):
    invoice = pushed_invoice()
    forged = make_stripe_invoice(metadata={"ledgerline_invoice_id": str(invoice.pk)})
    stripe_settings.customer_pay(forged.id)
    deliver(client, event := stripe_event(sim_http, "invoice.paid", forged.id))
    assert outcome(event) == WebhookOutcome.MISMATCH
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_an_invoice_marked_paid_outside_stripe_records_no_stripe_payment(
    stripe_settings, stripe_client, client, sim_http
):
    invoice = pushed_invoice()
    stripe_client.v1.invoices.pay(invoice.stripe_invoice_id, params={"paid_out_of_band": True})
    deliver(client, event := stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))
    assert outcome(event) == WebhookOutcome.PAID_OUT_OF_BAND
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_cash_for_an_invoice_we_voided_meanwhile_is_recorded_but_left_unapplied(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    void_invoice(invoice=invoice, actor=None, reason="Duplicate")
    deliver(client, event := stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))
    assert outcome(event) == WebhookOutcome.PAYMENT_UNAPPLIED
    payment = Payment.objects.get()
    assert payment.unapplied_amount == invoice.total_amount
    assert not PaymentApplication.objects.exists()


@pytest.mark.django_db
def test_a_yen_payment_is_recorded_in_whole_yen(stripe_settings, client, sim_http):
    invoice = pushed_invoice(currency="JPY", unit_price="120000", quantity="1")
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    deliver(client, stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))
    assert Payment.objects.get().amount == invoice.total_amount == 120_000


@pytest.mark.django_db
def test_events_we_do_not_use_are_acknowledged_and_ignored(stripe_settings, client, sim_http):
    invoice = pushed_invoice()
    event = stripe_event(sim_http, "customer.created", invoice.stripe_customer_id)
    response = deliver(client, event)
    assert response.status_code == 200 and outcome(event) == WebhookOutcome.IGNORED_TYPE


@pytest.mark.django_db
def test_a_declined_card_changes_no_money(stripe_settings, client, sim_http):
    invoice = pushed_invoice()
    with pytest.raises(Exception, match="declined"):
        stripe_settings.customer_pay(invoice.stripe_invoice_id, "pm_card_chargeDeclined")
    event = stripe_event(sim_http, "invoice.payment_failed", invoice.stripe_invoice_id)
    deliver(client, event)
    assert outcome(event) == WebhookOutcome.STATUS_NOTED
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).settlement_status == "unpaid"


def test_stripe_register_webhook_prints_the_secret_of_a_new_endpoint(
    stripe_settings, stripe_client
):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "stripe_register_webhook", url="http://127.0.0.1:8000" + WEBHOOK, stdout=out, stderr=err
    )
    (endpoint,) = stripe_client.v1.webhook_endpoints.list().data
    assert endpoint.url == "http://127.0.0.1:8000" + WEBHOOK
    assert sorted(endpoint.enabled_events) == SUBSCRIBED_EVENTS
    assert out.getvalue().strip().startswith("export STRIPE_WEBHOOK_SECRET=whsec_")

    with pytest.raises(CommandError, match="already registered"):
        call_command("stripe_register_webhook", url="http://127.0.0.1:8000" + WEBHOOK)
    call_command(
        "stripe_register_webhook",
        url="http://127.0.0.1:8000" + WEBHOOK,
        replace=True,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    (replaced,) = stripe_client.v1.webhook_endpoints.list().data
    assert replaced.id != endpoint.id


@pytest.mark.django_db
def test_an_event_that_fails_mid_processing_answers_500_for_stripe_to_redeliver(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    # Stripe cannot answer the re-read of the invoice.
    stripe_settings.inject_fault(mode="error", status=503, method="GET", path_prefix="/v1/invoices")
    assert deliver(client, event).status_code == 500
    row = StripeWebhookEvent.objects.get(event_id=event["id"])
    assert (row.outcome, row.processed_at) == (WebhookOutcome.ERROR, None)
    assert not Payment.objects.exists()
    # Redelivered, the event is processed as if for the first time.
    assert deliver(client, event).json()["outcome"] == "payment_recorded"
    assert StripeWebhookEvent.objects.get(event_id=event["id"]).deliveries == 2
