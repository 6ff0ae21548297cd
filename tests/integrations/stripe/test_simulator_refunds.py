"""Refunds and disputes in the simulator, through the official library and /_sim/."""

import json

import pytest
import stripe


@pytest.fixture
def paid_charge(stripe_client, stripe_simulator, make_stripe_invoice):
    invoice = make_stripe_invoice((10_000, 2_500))
    stripe_simulator.customer_pay(invoice.id, "pm_card_visa")
    (charge,) = stripe_client.v1.charges.list(params={"customer": invoice.customer}).data
    return charge


@pytest.fixture
def endpoint(stripe_client, webhook_receiver):
    return stripe_client.v1.webhook_endpoints.create(
        params={
            "url": webhook_receiver.url,
            "enabled_events": ["charge.refunded", "charge.dispute.created", "refund.created"],
        }
    )


def test_a_refund_without_amount_returns_what_is_left_and_marks_the_charge_refunded(
    stripe_client, paid_charge
):
    refund = stripe_client.v1.refunds.create(params={"charge": paid_charge.id})
    charge = stripe_client.v1.charges.retrieve(paid_charge.id)
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.currency, refund.status) == (12_500, "usd", "succeeded")
    assert (refund.charge, refund.payment_intent) == (charge.id, charge.payment_intent)
    assert (charge.amount_refunded, charge.refunded) == (12_500, True)


def test_partial_refunds_by_payment_intent_add_up_on_the_charge(stripe_client, paid_charge):
    intent = paid_charge.payment_intent
    stripe_client.v1.refunds.create(params={"payment_intent": intent, "amount": 2_500})
    stripe_client.v1.refunds.create(params={"payment_intent": intent, "amount": 500})
    charge = stripe_client.v1.charges.retrieve(paid_charge.id)
    assert (charge.amount_refunded, charge.refunded) == (3_000, False)
    listed = stripe_client.v1.refunds.list(params={"charge": paid_charge.id})
    assert sorted(r.amount for r in listed.data) == [500, 2_500]


def test_refunding_more_than_is_left_is_refused_with_stripes_error(stripe_client, paid_charge):
    stripe_client.v1.refunds.create(params={"charge": paid_charge.id, "amount": 10_000})
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.refunds.create(params={"charge": paid_charge.id, "amount": 2_501})
    assert (err.value.http_status, err.value.code, err.value.param) == (
        400,
        "amount_too_large",
        "amount",
    )
    assert "greater than unrefunded amount on charge (25.00 USD)" in err.value.user_message
    charge = stripe_client.v1.charges.retrieve(paid_charge.id)
    assert charge.amount_refunded == 10_000
    assert len(stripe_client.v1.refunds.list().data) == 1


def test_a_fully_refunded_charge_cannot_be_refunded_again(stripe_client, paid_charge):
    stripe_client.v1.refunds.create(params={"charge": paid_charge.id})
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.refunds.create(params={"charge": paid_charge.id})
    assert err.value.code == "charge_already_refunded"


def test_a_refund_needs_a_known_charge_or_payment_intent(stripe_client, paid_charge):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.refunds.create(params={})
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.refunds.create(params={"charge": "ch_nope"})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "charge")
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "charge")


def test_a_refund_emits_charge_refunded_with_the_charge_and_its_invoice(
    stripe_client, endpoint, webhook_receiver, paid_charge
):
    stripe_client.v1.refunds.create(params={"charge": paid_charge.id, "amount": 2_500})
    delivery = webhook_receiver.wait_for("charge.refunded")
    event = stripe.Webhook.construct_event(delivery.body, delivery.signature, endpoint.secret)
    charge = json.loads(delivery.body)["data"]["object"]
    assert event.type == "charge.refunded"
    assert (charge["object"], charge["id"]) == ("charge", paid_charge.id)
    assert "invoice" not in charge  # gone from Charge since 2025-03-31.basil
    assert (charge["amount_refunded"], charge["refunded"]) == (2_500, False)
    previous = json.loads(delivery.body)["data"]["previous_attributes"]
    assert previous == {"amount_refunded": 0, "refunded": False}
    assert webhook_receiver.wait_for("refund.created")


def test_a_dispute_opened_by_control_emits_charge_dispute_created(
    stripe_client, sim_http, endpoint, webhook_receiver, paid_charge
):
    reply = sim_http(
        "POST", f"/_sim/charges/{paid_charge.id}/dispute", json_body={"reason": "fraudulent"}
    )
    assert reply.status == 200
    delivery = webhook_receiver.wait_for("charge.dispute.created")
    dispute = json.loads(delivery.body)["data"]["object"]
    assert dispute["id"] == reply.body["id"] and dispute["id"].startswith("dp_")
    assert {k: dispute[k] for k in ("object", "amount", "charge", "currency", "reason")} == {
        "object": "dispute",
        "amount": 12_500,
        "charge": paid_charge.id,
        "currency": "usd",
        "reason": "fraudulent",
    }
    assert dispute["status"] == "needs_response"
    assert stripe_client.v1.charges.retrieve(paid_charge.id).disputed is True


def test_a_disputed_charge_cannot_be_refunded_or_disputed_again(
    stripe_client, stripe_simulator, sim_http, paid_charge
):
    stripe_simulator.open_dispute(paid_charge.id)
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.refunds.create(params={"charge": paid_charge.id})
    assert err.value.code == "charge_disputed"
    again = sim_http("POST", f"/_sim/charges/{paid_charge.id}/dispute", json_body={})
    assert again.status == 400 and again.body["error"]["type"] == "invalid_request_error"
