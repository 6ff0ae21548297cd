import pytest
import stripe


def test_unknown_id_is_a_404_resource_missing(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.retrieve("in_doesnotexist")

    assert err.value.http_status == 404
    assert (err.value.code, err.value.param) == ("resource_missing", "id")
    assert err.value.json_body["error"]["message"] == "No such invoice: 'in_doesnotexist'"


def test_missing_required_param_names_it(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.create(params={"currency": "usd"})

    assert err.value.http_status == 400
    assert (err.value.code, err.value.param) == ("parameter_missing", "customer")
    assert err.value.json_body["error"]["type"] == "invalid_request_error"


def test_unknown_param_is_rejected_by_name(stripe_client, stripe_customer):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.create(params={"customer": stripe_customer.id, "colour": "blue"})

    assert (err.value.code, err.value.param) == ("parameter_unknown", "colour")


def test_non_integer_amount_is_rejected(stripe_client, stripe_customer):
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoice_items.create(
            params={"customer": stripe_customer.id, "currency": "jpy", "amount": "1000.5"}
        )

    assert (err.value.code, err.value.param) == ("parameter_invalid_integer", "amount")


def test_request_without_api_key_is_a_401(sim_http):
    reply = sim_http("GET", "/v1/customers")

    assert reply.status == 401
    assert reply.body["error"]["type"] == "invalid_request_error"
    assert "API key" in reply.body["error"]["message"]


def test_live_or_malformed_key_raises_authentication_error(stripe_simulator, stripe_client):
    live = stripe.StripeClient("sk_live_nope", base_addresses={"api": stripe_simulator.url})

    with pytest.raises(stripe.AuthenticationError) as err:
        live.v1.customers.list()

    assert err.value.http_status == 401


def test_unrecognized_url_is_a_404(sim_http):
    reply = sim_http("GET", "/v1/subscriptions", headers={"Authorization": "Bearer sk_test_x"})

    assert reply.status == 404
    assert reply.body["error"]["message"].startswith("Unrecognized request URL (GET: ")


def test_declined_card_raises_card_error_and_leaves_invoice_open(
    stripe_client, make_stripe_invoice
):
    invoice = make_stripe_invoice()

    with pytest.raises(stripe.CardError) as err:
        stripe_client.v1.invoices.pay(
            invoice.id, params={"payment_method": "pm_card_chargeDeclined"}
        )

    assert err.value.http_status == 402
    assert err.value.code == "card_declined"
    assert stripe_client.v1.invoices.retrieve(invoice.id).status == "open"


def test_bracket_encoded_form_bodies_decode_to_nested_params(
    sim_http, stripe_client, stripe_customer
):
    body = (
        f"customer={stripe_customer.id}&currency=usd&amount=100"
        "&metadata[invoice_number]=INV-1&period[start]=10&period[end]=20&expand[]=customer"
    ).encode()

    reply = sim_http(
        "POST", "/v1/invoiceitems", data=body, headers={"Authorization": "Bearer sk_test_x"}
    )

    assert reply.status == 200
    assert reply.body["metadata"] == {"invoice_number": "INV-1"}
    assert reply.body["period"] == {"start": 10, "end": 20}
    assert reply.body["customer"]["id"] == stripe_customer.id
