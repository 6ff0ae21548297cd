"""Refunds and disputes made in Stripe reach us as signed events and are flagged for AR,
with our invoice, the amount and the Stripe ids; no money moves here by itself."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Invoice, Payment, PaymentApplication
from integrations.stripe.models import WEBHOOK_ATTENTION, StripeWebhookEvent, WebhookOutcome
from integrations.stripe.simulator import TEST_API_KEY
from integrations.stripe.webhooks import SUBSCRIBED_EVENTS
from ordermgmt import roles
from tests.factories import UserFactory

from .test_webhooks import WEBHOOK, deliver, pushed_invoice, stripe_event


def paid_pushed_invoice(stripe_settings, client, sim_http) -> tuple[Invoice, str]:
    """A pushed invoice paid by card in Stripe, its payment recorded here; and its charge."""
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id, "pm_card_visa")
    deliver(client, stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id))
    return invoice, _charge_id(stripe_settings, invoice)


def _charge_id(stripe_settings, invoice: Invoice) -> str:
    """The charge of the invoice's payment (a charge no longer names its invoice)."""
    v1 = stripe_settings.client().v1
    (paid,) = v1.invoice_payments.list(params={"invoice": invoice.stripe_invoice_id}).data
    (charge,) = v1.charges.list(params={"payment_intent": paid.payment.payment_intent}).data
    return charge.id


def flagged(event: dict) -> StripeWebhookEvent:
    return StripeWebhookEvent.objects.get(event_id=event["id"])


def test_refunds_and_disputes_are_subscribed_and_need_attention():
    assert {"charge.refunded", "charge.dispute.created"} <= set(SUBSCRIBED_EVENTS)
    assert WebhookOutcome.REFUNDED_IN_STRIPE in WEBHOOK_ATTENTION
    assert WebhookOutcome.DISPUTED_IN_STRIPE in WEBHOOK_ATTENTION


@pytest.mark.django_db(transaction=True)
def test_a_refund_made_in_stripe_reaches_our_webhook_and_is_flagged_with_invoice_and_amount(
    stripe_settings, stripe_client, settings, live_server
):
    endpoint = stripe_client.v1.webhook_endpoints.create(
        params={"url": live_server.url + WEBHOOK, "enabled_events": SUBSCRIBED_EVENTS}
    )
    settings.STRIPE_WEBHOOK_SECRET = endpoint.secret
    invoice = pushed_invoice()
    stripe_settings.customer_pay(invoice.stripe_invoice_id, "pm_card_visa")
    assert stripe_settings.wait_for_webhooks(timeout=15)
    charge_id = _charge_id(stripe_settings, invoice)

    refund = stripe_client.v1.refunds.create(params={"charge": charge_id, "amount": 250_000})
    assert stripe_settings.wait_for_webhooks(timeout=15)

    row = StripeWebhookEvent.objects.get(type="charge.refunded")
    assert row.outcome == WebhookOutcome.REFUNDED_IN_STRIPE
    assert (row.invoice_id, row.stripe_object_id) == (invoice.pk, charge_id)
    payment = Payment.objects.get()
    assert row.payment_id == payment.pk
    assert invoice.number in row.detail and "$2,500.00 refunded" in row.detail
    assert "$12,000.00 in all" in row.detail
    assert charge_id in row.detail and invoice.stripe_invoice_id in row.detail
    assert f"Payment #{payment.pk}" in row.detail
    assert refund.amount == 250_000
    # AR decides how to undo it: the payment stays applied and the invoice paid.
    assert PaymentApplication.objects.get().amount == invoice.total_amount
    assert Invoice.objects.get(pk=invoice.pk).settlement_status == "paid"


@pytest.mark.django_db
def test_a_second_partial_refund_names_its_own_amount_and_the_total(
    stripe_settings, stripe_client, client, sim_http
):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    stripe_client.v1.refunds.create(params={"charge": charge_id, "amount": 100_000})
    stripe_client.v1.refunds.create(params={"charge": charge_id, "amount": 50_000})
    reply = sim_http(
        "GET",
        "/v1/events?type=charge.refunded",
        headers={"Authorization": f"Bearer {TEST_API_KEY}"},
    )
    latest, earliest = reply.body["data"]
    deliver(client, earliest)
    deliver(client, latest)
    assert "$1,000.00 refunded" in flagged(earliest).detail
    assert "$500.00 refunded in Stripe ($1,500.00 of $12,000.00" in flagged(latest).detail


@pytest.mark.django_db
def test_a_redelivered_refund_event_makes_one_row(stripe_settings, stripe_client, client, sim_http):
    _, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    stripe_client.v1.refunds.create(params={"charge": charge_id})
    event = stripe_event(sim_http, "charge.refunded", charge_id)
    first, second = deliver(client, event), deliver(client, event)
    assert first.json()["outcome"] == second.json()["outcome"] == "refunded_in_stripe"
    row = StripeWebhookEvent.objects.get(type="charge.refunded")
    assert (row.event_id, row.deliveries) == (event["id"], 2)


@pytest.mark.django_db
def test_a_dispute_is_flagged_with_the_invoice_of_its_charge(stripe_settings, client, sim_http):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    deliver(client, stripe_event(sim_http, "charge.succeeded", charge_id))
    dispute = stripe_settings.open_dispute(charge_id, reason="fraudulent")
    event = stripe_event(sim_http, "charge.dispute.created", dispute["id"])
    assert deliver(client, event).json()["outcome"] == "disputed_in_stripe"
    row = flagged(event)
    assert (row.invoice_id, row.payment_id) == (invoice.pk, Payment.objects.get().pk)
    assert invoice.number in row.detail and "$12,000.00 disputed" in row.detail
    assert "fraudulent" in row.detail and dispute["id"] in row.detail and charge_id in row.detail
    assert Invoice.objects.get(pk=invoice.pk).settlement_status == "paid"


@pytest.mark.django_db
def test_a_dispute_of_a_charge_we_never_heard_of_asks_stripe_for_its_invoice(
    stripe_settings, client, sim_http
):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    assert not StripeWebhookEvent.objects.filter(stripe_object_id=charge_id).exists()
    dispute = stripe_settings.open_dispute(charge_id, amount=100_000)
    event = stripe_event(sim_http, "charge.dispute.created", dispute["id"])
    deliver(client, event)
    row = flagged(event)
    assert (row.outcome, row.invoice_id) == (WebhookOutcome.DISPUTED_IN_STRIPE, invoice.pk)
    assert "$1,000.00 disputed" in row.detail


@pytest.mark.django_db
def test_a_refund_of_a_charge_for_an_invoice_we_did_not_make_is_unknown(
    stripe_settings, stripe_client, client, sim_http, make_stripe_invoice
):
    foreign = make_stripe_invoice()
    stripe_settings.customer_pay(foreign.id)
    (charge,) = stripe_client.v1.charges.list(params={"customer": foreign.customer}).data
    stripe_client.v1.refunds.create(params={"charge": charge.id})
    event = stripe_event(sim_http, "charge.refunded", charge.id)
    assert deliver(client, event).json()["outcome"] == "unknown_invoice"
    assert flagged(event).invoice_id is None


@pytest.mark.django_db
def test_a_yen_refund_is_named_in_whole_yen(stripe_settings, stripe_client, client, sim_http):
    invoice = pushed_invoice(currency="JPY", unit_price="120000", quantity="1")
    stripe_settings.customer_pay(invoice.stripe_invoice_id)
    charge_id = _charge_id(stripe_settings, invoice)
    stripe_client.v1.refunds.create(params={"charge": charge_id, "amount": 20_000})
    deliver(client, event := stripe_event(sim_http, "charge.refunded", charge_id))
    assert "¥20,000 refunded" in flagged(event).detail


@pytest.mark.django_db
def test_the_integration_page_lists_refunds_and_disputes_to_review(
    stripe_settings, stripe_client, client, sim_http
):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    stripe_client.v1.refunds.create(params={"charge": charge_id, "amount": 100_000})
    refunded = stripe_event(sim_http, "charge.refunded", charge_id)
    dispute = stripe_settings.open_dispute(charge_id)
    disputed = stripe_event(sim_http, "charge.dispute.created", dispute["id"])
    deliver(client, refunded)
    deliver(client, disputed)

    client.force_login(UserFactory(role=roles.FINANCE))
    page = client.get(reverse("stripe_billing:integration_errors")).content.decode()
    review = page.split('id="events-attention"', 1)[1].split("</table>", 1)[0]
    assert refunded["id"] in review and disputed["id"] in review
    assert "Refunded in Stripe: reverse the application and record the refund here" in review
    assert "Disputed in Stripe" in review
    assert invoice.number in review and "$1,000.00 refunded" in review
