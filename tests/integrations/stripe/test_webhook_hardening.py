"""Bodies that pass the signature but are not a Stripe event we can read are refused with
400 and logged once, leaving nothing stored for Stripe to redeliver forever; signatures
from the future are refused like stale ones."""

from __future__ import annotations

import copy
import json
import logging
import time

import pytest

from billing.models import Payment
from integrations.stripe.models import StripeWebhookEvent

from .test_webhooks import WEBHOOK, deliver, pushed_invoice, stripe_event


@pytest.fixture
def paid_event(stripe_settings, sim_http) -> dict:
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    return stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)


def refused_once(client, caplog, payload: str) -> None:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        response = deliver(client, payload)
    assert response.status_code == 400
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in records] == ["integrations.stripe.views"]
    assert records[0].exc_info is None
    assert not StripeWebhookEvent.objects.exists() and not Payment.objects.exists()


@pytest.mark.django_db
def test_a_signed_json_array_is_refused_and_stores_nothing(paid_event, client, caplog):
    refused_once(client, caplog, json.dumps([paid_event]))


@pytest.mark.django_db
def test_a_signed_body_nested_very_deep_is_refused_and_stores_nothing(paid_event, client, caplog):
    refused_once(client, caplog, "[" * 100_000 + "]" * 100_000)
    deep = copy.deepcopy(paid_event)
    deep["data"]["object"]["metadata"] = {"x": {}}
    node = deep["data"]["object"]["metadata"]["x"]
    for _ in range(60):
        node["x"] = {}
        node = node["x"]
    refused_once(client, caplog, json.dumps(deep))


@pytest.mark.django_db
def test_amount_paid_as_a_string_is_refused_and_leaves_no_error_row_to_retry(
    paid_event, client, caplog
):
    broken = copy.deepcopy(paid_event)
    broken["data"]["object"]["amount_paid"] = "120000"
    refused_once(client, caplog, json.dumps(broken))
    # The intact event still goes through afterwards.
    assert deliver(client, paid_event).json()["outcome"] == "payment_recorded"


@pytest.mark.django_db
def test_an_invoice_event_carrying_another_object_is_refused(paid_event, client, caplog):
    other = copy.deepcopy(paid_event)
    other["data"]["object"] = {"id": "ch_1", "object": "charge", "amount": 1, "currency": "usd"}
    refused_once(client, caplog, json.dumps(other))


@pytest.mark.django_db
def test_an_event_of_another_api_version_is_refused(paid_event, client, caplog):
    older = {**paid_event, "api_version": "2024-06-20"}
    refused_once(client, caplog, json.dumps(older))


@pytest.mark.django_db
def test_a_signature_timestamped_beyond_the_tolerance_in_the_future_is_refused(
    paid_event, client, settings
):
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    a_year_ahead = int(time.time()) + 365 * 86_400
    assert deliver(client, paid_event, timestamp=a_year_ahead).status_code == 400
    assert deliver(client, paid_event, timestamp=int(time.time()) + 301).status_code == 400
    assert not StripeWebhookEvent.objects.exists()
    assert deliver(client, paid_event, timestamp=int(time.time()) + 5).status_code == 200


def test_the_webhook_url_refuses_get(client):
    assert client.get(WEBHOOK).status_code == 405
