import threading
from urllib.parse import urlencode

import pytest
import stripe


def _invoice_params(customer):
    return {
        "customer": customer.id,
        "collection_method": "send_invoice",
        "days_until_due": 30,
        "metadata": {"invoice_number": "INV-9"},
    }


def test_same_key_and_body_replays_without_creating_twice(
    stripe_client, stripe_simulator, stripe_customer
):
    options = {"idempotency_key": "push-invoice-9"}

    first = stripe_client.v1.invoices.create(
        params=_invoice_params(stripe_customer), options=options
    )
    second = stripe_client.v1.invoices.create(
        params=_invoice_params(stripe_customer), options=options
    )

    assert second.id == first.id
    assert stripe_simulator.count("invoices") == 1
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers


def test_same_key_with_another_body_is_an_idempotency_error(stripe_client, stripe_customer):
    options = {"idempotency_key": "push-invoice-10"}
    stripe_client.v1.invoices.create(params=_invoice_params(stripe_customer), options=options)

    with pytest.raises(stripe.IdempotencyError) as err:
        stripe_client.v1.invoices.create(
            params={**_invoice_params(stripe_customer), "days_until_due": 45}, options=options
        )

    assert err.value.http_status == 400
    assert err.value.json_body["error"]["type"] == "idempotency_error"


def test_same_key_on_another_path_is_an_idempotency_error(stripe_client, stripe_customer):
    options = {"idempotency_key": "shared-key"}
    stripe_client.v1.customers.update(stripe_customer.id, params={"name": "A"}, options=options)

    with pytest.raises(stripe.IdempotencyError):
        stripe_client.v1.customers.create(params={"name": "A"}, options=options)


def test_keys_are_scoped_per_api_key(stripe_client, stripe_simulator, stripe_customer):
    other_account = stripe.StripeClient(
        "sk_test_other_account", base_addresses={"api": stripe_simulator.url}
    )
    options = {"idempotency_key": "same-key"}

    mine = stripe_client.v1.invoices.create(
        params=_invoice_params(stripe_customer), options=options
    )
    theirs = other_account.v1.invoices.create(
        params=_invoice_params(stripe_customer), options=options
    )

    assert mine.id != theirs.id


def test_rejected_parameters_are_not_saved_under_the_key(
    stripe_client, stripe_simulator, stripe_customer
):
    options = {"idempotency_key": "fix-and-retry"}
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.invoices.create(
            params={"customer": stripe_customer.id, "collection_method": "send_invoice"},
            options=options,
        )

    fixed = stripe_client.v1.invoices.create(
        params=_invoice_params(stripe_customer), options=options
    )

    assert fixed.status == "draft"
    assert stripe_simulator.count("invoices") == 1


def test_concurrent_duplicates_create_exactly_one_invoice(
    sim_http, stripe_simulator, stripe_customer
):
    # The first request is held for 0.3 s, so every duplicate arrives while it runs.
    stripe_simulator.inject_fault(
        mode="delay", seconds=0.3, method="POST", path_prefix="/v1/invoices"
    )
    body = urlencode(
        {
            "customer": stripe_customer.id,
            "collection_method": "send_invoice",
            "days_until_due": "30",
        }
    ).encode()
    headers = {"Authorization": "Bearer sk_test_race", "Idempotency-Key": "race-1"}
    start = threading.Barrier(6)
    replies = []

    def push() -> None:
        start.wait()
        replies.append(sim_http("POST", "/v1/invoices", data=body, headers=headers))

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    # Stripe saves nothing for a duplicate that arrives while the first executes: 409.
    assert stripe_simulator.count("invoices") == 1
    assert sorted(r.status for r in replies) == [200] + [409] * 5
    conflicts = [r.body["error"] for r in replies if r.status == 409]
    assert {(e["type"], e["code"]) for e in conflicts} == {
        ("idempotency_error", "idempotency_key_in_use")
    }
    (first,) = [r for r in replies if r.status == 200]
    retried = sim_http("POST", "/v1/invoices", data=body, headers=headers)
    assert (retried.status, retried.body["id"]) == (200, first.body["id"])
    assert retried.headers.get("Idempotent-Replayed") == "true"


def test_library_threads_sharing_a_key_get_one_invoice_retrying_the_conflicts(
    stripe_simulator, stripe_customer
):
    # The library retries a 409 (with backoff) when network retries are on.
    stripe_client = stripe_simulator.client(max_network_retries=5)
    start = threading.Barrier(8)
    ids = []

    def push() -> None:
        start.wait()
        invoice = stripe_client.v1.invoices.create(
            params=_invoice_params(stripe_customer), options={"idempotency_key": "race-2"}
        )
        ids.append(invoice.id)

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(ids) == 8
    assert len(set(ids)) == 1
    assert stripe_simulator.count("invoices") == 1


def test_an_error_raised_after_execution_began_is_saved_and_replayed(
    stripe_client, sim_http, make_stripe_invoice
):
    invoice = make_stripe_invoice()
    stripe_client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    headers = {"Authorization": "Bearer sk_test_ledgerline", "Idempotency-Key": "void-1"}

    first = sim_http("POST", f"/v1/invoices/{invoice.id}/void", data=b"", headers=headers)
    again = sim_http("POST", f"/v1/invoices/{invoice.id}/void", data=b"", headers=headers)

    assert first.status == again.status == 400
    assert again.body == first.body
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.headers.get("Idempotent-Replayed") is None
