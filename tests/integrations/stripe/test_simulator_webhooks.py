import json

import pytest
import stripe


@pytest.fixture
def endpoint(stripe_client, webhook_receiver):
    return stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["*"]}
    )


def _verified(delivery, secret):
    return stripe.Webhook.construct_event(delivery.body, delivery.signature, secret)


def test_endpoint_secret_is_shown_only_at_creation(stripe_client, endpoint):
    listed = stripe_client.v1.webhook_endpoints.list()

    assert endpoint.id.startswith("we_")
    assert endpoint.secret.startswith("whsec_")
    assert [e.id for e in listed.data] == [endpoint.id]
    assert getattr(listed.data[0], "secret", None) is None


def test_invoice_lifecycle_events_arrive_signed(
    stripe_client, endpoint, webhook_receiver, make_stripe_invoice
):
    paid = make_stripe_invoice()
    stripe_client.v1.invoices.pay(paid.id, params={"paid_out_of_band": True})
    voided = make_stripe_invoice()
    stripe_client.v1.invoices.void_invoice(voided.id)

    finalized = _verified(webhook_receiver.wait_for("invoice.finalized"), endpoint.secret)
    paid_event = _verified(webhook_receiver.wait_for("invoice.paid"), endpoint.secret)
    voided_event = _verified(webhook_receiver.wait_for("invoice.voided"), endpoint.secret)

    assert finalized.data.object.id == paid.id
    assert finalized.data.object.status == "open"
    assert paid_event.data.object.status == "paid"
    assert voided_event.data.object.id == voided.id
    assert finalized.id.startswith("evt_")
    assert finalized.api_version == "2026-10-28.endive"
    assert finalized.request.idempotency_key is not None


def test_customer_card_payment_fires_payment_events(
    stripe_client, endpoint, webhook_receiver, make_stripe_invoice, sim_http, stripe_simulator
):
    invoice = make_stripe_invoice()

    reply = sim_http(
        "POST",
        f"/_sim/invoices/{invoice.id}/customer_pay",
        json_body={"payment_method": "pm_card_visa"},
    )

    intent_event = _verified(webhook_receiver.wait_for("payment_intent.succeeded"), endpoint.secret)
    _verified(webhook_receiver.wait_for("charge.succeeded"), endpoint.secret)
    _verified(webhook_receiver.wait_for("invoice.payment_succeeded"), endpoint.secret)
    assert reply.status == 200
    assert reply.body["status"] == "paid"
    assert intent_event.data.object.amount == 12_500
    assert intent_event.request.id is None  # the customer did it, not an API request
    assert stripe_simulator.count("charges") == 1


def test_tampered_payload_fails_verification(endpoint, webhook_receiver, make_stripe_invoice):
    make_stripe_invoice()
    delivery = webhook_receiver.wait_for("invoice.finalized")
    tampered = json.loads(delivery.body)
    tampered["data"]["object"]["amount_due"] = 1

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(json.dumps(tampered), delivery.signature, endpoint.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, delivery.signature, "whsec_wrong")


def test_failing_receiver_gets_the_event_on_the_third_attempt(
    stripe_client, webhook_receiver, sim_http, wait_until
):
    stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["customer.created"]}
    )
    webhook_receiver.fail_next(2)

    customer = stripe_client.v1.customers.create(params={"name": "Retry Ltd"})

    delivery = webhook_receiver.wait_for("customer.created")
    assert json.loads(delivery.body)["data"]["object"]["id"] == customer.id

    def attempts_until_success():
        attempts = sim_http("GET", "/_sim/webhook_deliveries").body["data"]
        return attempts if attempts and attempts[-1]["succeeded"] else None

    attempts = wait_until(attempts_until_success)
    assert [(a["attempt"], a["status"], a["succeeded"]) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]


def test_only_enabled_events_are_delivered(
    stripe_client, webhook_receiver, stripe_simulator, make_stripe_invoice
):
    stripe_client.v1.webhook_endpoints.create(
        params={"url": webhook_receiver.url, "enabled_events": ["invoice.voided"]}
    )
    invoice = make_stripe_invoice()
    stripe_client.v1.invoices.void_invoice(invoice.id)

    webhook_receiver.wait_for("invoice.voided")
    assert stripe_simulator.wait_for_webhooks(timeout=5)
    assert webhook_receiver.event_types() == ["invoice.voided"]


def test_events_are_listed_newest_first_and_retrievable(stripe_client, make_stripe_invoice):
    invoice = make_stripe_invoice()

    finalized = stripe_client.v1.events.list(params={"type": "invoice.finalized"})
    invoice_events = stripe_client.v1.events.list(params={"type": "invoice.*"})
    fetched = stripe_client.v1.events.retrieve(finalized.data[0].id)

    assert [e.data.object.id for e in finalized.data] == [invoice.id]
    assert [e.type for e in invoice_events.data] == ["invoice.finalized", "invoice.created"]
    assert fetched.type == "invoice.finalized"
