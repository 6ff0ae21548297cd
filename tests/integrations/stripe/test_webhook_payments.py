"""Payments recorded from what Stripe says the invoice's payments are, not from the event.

Events are the simulator's own, shaped as Stripe sends them at the pinned version (no
`amount_paid_off_stripe` in a payload; `amount_paid` includes out-of-band payments)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment, PaymentApplication
from billing.services.payments import apply_payment, record_payment
from integrations.stripe.models import WebhookOutcome

from .test_webhooks import deliver, outcome, pushed_invoice, stripe_event


def wire(invoice: Invoice, amount: Decimal) -> Payment:
    """Cash that arrived by wire, recorded and applied here by AR."""
    payment = record_payment(
        account=invoice.account,
        amount=amount,
        currency=invoice.currency,
        received_date=timezone.localdate(),
        method="wire",
        reference="WIRE-REF-1",
        actor=None,
    )
    apply_payment(payment=payment, invoice=invoice, amount=amount, actor=None)
    return payment


@pytest.mark.django_db
def test_invoice_paid_for_an_out_of_band_payment_as_stripe_sends_it_records_no_second_payment(
    stripe_settings, stripe_client, client, sim_http
):
    invoice = pushed_invoice()
    wired = wire(invoice, invoice.total_amount)
    stripe_client.v1.invoices.pay(invoice.stripe_invoice_id, params={"paid_out_of_band": True})
    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    payload = event["data"]["object"]
    assert payload["amount_paid"] == int(invoice.total_amount * 100)
    assert "amount_paid_off_stripe" not in payload

    assert deliver(client, event).status_code == 200
    assert deliver(client, event).status_code == 200

    assert outcome(event) == WebhookOutcome.PAID_OUT_OF_BAND
    assert list(Payment.objects.all()) == [wired]
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.paid_amount) == ("paid", invoice.total_amount)


@pytest.mark.django_db
def test_a_partial_payment_in_stripe_is_applied_and_leaves_the_rest_open(
    stripe_settings, stripe_client, client, sim_http
):
    invoice = pushed_invoice()  # $12,000.00
    stripe_client.v1.credit_notes.create(
        params={"invoice": invoice.stripe_invoice_id, "amount": 200_000}
    )
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    deliver(client, event := stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))

    assert outcome(event) == WebhookOutcome.PAYMENT_RECORDED
    payment = Payment.objects.get()
    assert (payment.amount, payment.unapplied_amount) == (Decimal("10000.00"), 0)
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("partially_paid", Decimal("2000"))


@pytest.mark.django_db
def test_an_overpayment_in_stripe_applies_what_is_open_and_leaves_the_rest_unapplied(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    wire(invoice, Decimal("2000.00"))  # part wired meanwhile; Stripe still asks for all
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    deliver(client, event := stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))

    assert outcome(event) == WebhookOutcome.PAYMENT_UNAPPLIED
    stripe_payment = Payment.objects.get(method="stripe")
    assert stripe_payment.amount == invoice.total_amount
    assert stripe_payment.unapplied_amount == Decimal("2000.00")
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("paid", 0)


@pytest.mark.django_db
def test_both_payment_events_for_one_stripe_payment_record_it_once_by_its_invoice_payment(
    stripe_settings, stripe_client, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    for event_type in ("invoice.payment_succeeded", "invoice.paid"):
        deliver(client, stripe_event(sim_http, event_type, invoice.stripe_invoice_id))

    (paid,) = stripe_client.v1.invoice_payments.list(
        params={"invoice": invoice.stripe_invoice_id}
    ).data
    assert list(Payment.objects.values_list("external_id", flat=True)) == [paid.id]
    assert PaymentApplication.objects.count() == 1


@pytest.mark.django_db
def test_the_pinned_version_is_sent_on_every_request_the_product_makes(
    stripe_settings, client, sim_http
):
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    deliver(client, stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))

    import stripe

    # (GET /v1/events is this test reading the simulator's events, not the product.)
    product = [e for e in stripe_settings.requests() if e["path"] != "/v1/events"]
    assert {e["path"] for e in product} >= {"/v1/invoices", "/v1/customers"}
    assert {e["stripe_version"] for e in product} == {stripe.api_version}


def test_stripe_register_webhook_pins_the_endpoint_to_our_version(
    stripe_settings, stripe_client, settings
):
    import io

    from django.core.management import call_command

    settings.STRIPE_API_VERSION = ""
    call_command(
        "stripe_register_webhook",
        url="http://127.0.0.1:9/hook",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    (endpoint,) = stripe_client.v1.webhook_endpoints.list().data
    import stripe

    assert endpoint.api_version == stripe.api_version
