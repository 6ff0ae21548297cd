"""A dispute's lifecycle after it opens: money moves here when it moves at Stripe, through
billing's payment services, and a dispute lost or won ends in the right AR state."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Invoice, Payment, PaymentApplication, Refund
from integrations.stripe.models import StripeWebhookEvent, WebhookOutcome

from .test_webhook_refunds import paid_pushed_invoice
from .test_webhooks import deliver, stripe_event


def deliver_all(client, sim_http, event_types: list[str], dispute_id: str) -> list[str]:
    return [
        deliver(client, stripe_event(sim_http, t, dispute_id)).json()["outcome"]
        for t in event_types
    ]


@pytest.mark.django_db
def test_a_lost_dispute_takes_the_money_back_and_leaves_the_invoice_open(
    stripe_settings, stripe_client, client, sim_http
):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    dispute = stripe_settings.open_dispute(charge_id, reason="fraudulent")
    stripe_client.v1.disputes.update(dispute["id"], params={"submit": True})
    stripe_settings.close_dispute(dispute["id"], won=False)

    outcomes = deliver_all(
        client,
        sim_http,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
            "charge.dispute.closed",
        ],
        dispute["id"],
    )

    assert outcomes == [
        WebhookOutcome.DISPUTED_IN_STRIPE,
        WebhookOutcome.DISPUTE_FUNDS_WITHDRAWN,
        WebhookOutcome.DISPUTED_IN_STRIPE,
        WebhookOutcome.DISPUTE_LOST,
    ]
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("unpaid", invoice.total_amount)
    payment = Payment.objects.get()
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount) == (payment, invoice.total_amount)
    assert refund.reference == f"Stripe dispute {dispute['id']}"
    assert payment.unapplied_amount == 0 and payment.refunded_amount == invoice.total_amount
    assert PaymentApplication.objects.filter(reverses__isnull=False).count() == 1


@pytest.mark.django_db
def test_a_won_dispute_puts_the_money_back_on_the_invoice(stripe_settings, client, sim_http):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    dispute = stripe_settings.open_dispute(charge_id, reason="product_not_received")
    stripe_settings.close_dispute(dispute["id"], won=True)

    outcomes = deliver_all(
        client,
        sim_http,
        [
            "charge.dispute.created",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.funds_reinstated",
            "charge.dispute.closed",
        ],
        dispute["id"],
    )

    assert outcomes[-2:] == [WebhookOutcome.DISPUTE_WON, WebhookOutcome.DISPUTE_WON]
    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("paid", 0)
    reinstated = Payment.objects.get(external_id=f"{dispute['id']}:reinstated")
    assert (reinstated.method, reinstated.amount) == ("stripe", invoice.total_amount)
    assert reinstated.unapplied_amount == 0
    original = Payment.objects.exclude(pk=reinstated.pk).get()
    assert original.refunded_amount == invoice.total_amount


@pytest.mark.django_db
def test_a_partial_dispute_reopens_only_the_disputed_amount(stripe_settings, client, sim_http):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    dispute = stripe_settings.open_dispute(charge_id, amount=300_000)
    deliver_all(client, sim_http, ["charge.dispute.funds_withdrawn"], dispute["id"])

    invoice.refresh_from_db()
    assert (invoice.settlement_status, invoice.open_amount) == ("partially_paid", Decimal("3000"))
    payment = Payment.objects.get()
    assert (payment.refunded_amount, payment.unapplied_amount) == (Decimal("3000.00"), 0)


@pytest.mark.django_db
def test_dispute_money_events_delivered_twice_move_the_money_once(
    stripe_settings, client, sim_http
):
    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    dispute = stripe_settings.open_dispute(charge_id)
    stripe_settings.close_dispute(dispute["id"], won=False)
    events = ["charge.dispute.funds_withdrawn", "charge.dispute.closed"]
    deliver_all(client, sim_http, events, dispute["id"])
    deliver_all(client, sim_http, events, dispute["id"])

    assert Refund.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).open_amount == invoice.total_amount
    assert StripeWebhookEvent.objects.get(type="charge.dispute.closed").deliveries == 2


@pytest.mark.django_db
def test_a_withdrawal_of_cash_ar_already_moved_elsewhere_is_flagged_not_retried(
    stripe_settings, client, sim_http
):
    from billing.services.payments import apply_payment, reverse_application

    from .conftest import issue_invoice_for

    invoice, charge_id = paid_pushed_invoice(stripe_settings, client, sim_http)
    other = issue_invoice_for(account=invoice.account)
    payment = Payment.objects.get()
    reverse_application(
        application=PaymentApplication.objects.get(), actor=None, reason="Meant for the other"
    )
    apply_payment(payment=payment, invoice=other, amount=other.total_amount, actor=None)
    dispute = stripe_settings.open_dispute(charge_id)

    event = stripe_event(sim_http, "charge.dispute.funds_withdrawn", dispute["id"])
    response = deliver(client, event)

    assert response.status_code == 200
    row = StripeWebhookEvent.objects.get(event_id=event["id"])
    assert row.outcome == WebhookOutcome.DISPUTE_FUNDS_WITHDRAWN and row.processed_at
    assert "record the chargeback by hand" in row.detail
    assert not Refund.objects.exists()
