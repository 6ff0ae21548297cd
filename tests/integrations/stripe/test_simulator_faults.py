import pytest
import stripe


def _client(simulator, **options):
    return stripe.StripeClient("sk_test_faults", base_addresses={"api": simulator.url}, **options)


def test_injected_500_raises_api_error_then_the_next_call_succeeds(stripe_client, stripe_simulator):
    stripe_simulator.inject_fault(mode="error", status=500, count=1)

    with pytest.raises(stripe.APIError) as err:
        stripe_client.v1.customers.create(params={"name": "Acme"})
    recovered = stripe_client.v1.customers.create(params={"name": "Acme"})

    assert err.value.http_status == 500
    assert err.value.json_body["error"]["type"] == "api_error"
    assert recovered.name == "Acme"
    assert stripe_simulator.count("customers") == 1


def test_dropped_connection_raises_api_connection_error(stripe_client, stripe_simulator):
    stripe_simulator.inject_fault(mode="close")

    with pytest.raises(stripe.APIConnectionError):
        stripe_client.v1.customers.list()

    assert stripe_client.v1.customers.list().data == []


def test_hung_request_times_out_on_the_client(stripe_client, stripe_simulator):
    impatient = _client(
        stripe_simulator, http_client=stripe.RequestsClient(timeout=0.2), max_network_retries=0
    )
    stripe_simulator.inject_fault(mode="hang", seconds=1)

    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()


def test_rate_limit_fault_raises_rate_limit_error(stripe_client, stripe_simulator):
    stripe_simulator.inject_fault(mode="error", status=429, path_prefix="/v1/invoices")

    stripe_client.v1.customers.list()  # another path: not affected
    with pytest.raises(stripe.RateLimitError):
        stripe_client.v1.invoices.list()


def test_lost_response_is_retried_by_the_library_and_replayed(
    stripe_client, stripe_simulator, stripe_customer, monkeypatch
):
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(stripe.HTTPClient, "MAX_DELAY", 0.02)
    retrying = _client(stripe_simulator, max_network_retries=2)
    # The invoice is created, then the connection drops before the reply.
    stripe_simulator.inject_fault(
        mode="close", when="after", method="POST", path_prefix="/v1/invoices"
    )

    invoice = retrying.v1.invoices.create(params={"customer": stripe_customer.id})

    assert stripe_simulator.count("invoices") == 1
    posts = [r for r in stripe_simulator.requests() if r["path"] == "/v1/invoices"]
    assert [(r["status"], r["replayed"]) for r in posts] == [(None, False), (200, True)]
    assert posts[0]["idempotency_key"] == posts[1]["idempotency_key"]
    assert invoice.last_response.headers["Idempotent-Replayed"] == "true"


def test_faults_can_be_set_over_http(sim_http, stripe_client):
    sim_http("POST", "/_sim/faults", json_body={"mode": "error", "status": 503})

    with pytest.raises(stripe.APIError) as err:
        stripe_client.v1.customers.list()

    assert err.value.http_status == 503
    assert sim_http("GET", "/_sim/faults").body["data"] == []


def test_control_api_reports_state_and_request_log_then_resets(
    sim_http, stripe_client, make_stripe_invoice
):
    make_stripe_invoice()

    state = sim_http("GET", "/_sim/state").body
    log = sim_http("GET", "/_sim/requests").body["data"]
    sim_http("POST", "/_sim/reset")

    assert (state["customers"], state["invoices"], state["invoiceitems"]) == (1, 1, 2)
    assert state["requests"] == len(log) == 5
    assert [(r["method"], r["path"], r["status"]) for r in log[:2]] == [
        ("POST", "/v1/customers", 200),
        ("POST", "/v1/invoices", 200),
    ]
    assert log[0]["idempotency_key"]  # the library sends one on every POST
    assert sim_http("GET", "/_sim/state").body["invoices"] == 0


def test_responses_carry_request_id_and_stripe_version(stripe_client, sim_http):
    reply = sim_http(
        "GET",
        "/v1/invoices",
        headers={"Authorization": "Bearer sk_test_x", "Stripe-Version": "2026-10-28.endive"},
    )

    assert reply.headers["Request-Id"].startswith("req_")
    assert reply.headers["Stripe-Version"] == "2026-10-28.endive"
    assert reply.body == {"object": "list", "data": [], "has_more": False, "url": "/v1/invoices"}


def test_clock_can_be_moved_forward(sim_http, stripe_client):
    before = stripe_client.v1.customers.create(params={"name": "Early"})

    sim_http("POST", "/_sim/clock", json_body={"advance": 40 * 86400})
    after = stripe_client.v1.customers.create(params={"name": "Late"})

    assert after.created - before.created >= 40 * 86400
