"""Issued invoices reach Stripe once, exactly, through the simulator over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from celery.signals import task_retry
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.services import issue_credit_note, void_invoice
from integrations.stripe.client import StripeUnavailable
from integrations.stripe.models import PushState, StripeCreditNotePush, StripeInvoicePush
from integrations.stripe.push import push_invoice
from integrations.stripe.tasks import push_invoice_to_stripe, requeue_stalled_stripe_pushes
from ordermgmt import roles
from tests.factories import UserFactory

from .conftest import issue_invoice_for, run_credit_note_push, run_push

pytestmark = pytest.mark.django_db


def stripe_invoices(client) -> list:
    return list(client.v1.invoices.list(params={"limit": 100}).auto_paging_iter())


def creates(sim, path: str = "/v1/invoices") -> list[dict]:
    return [r for r in sim.requests() if r["method"] == "POST" and r["path"] == path]


def test_issuing_an_invoice_pushes_one_finalized_stripe_invoice_matching_ours(
    stripe_settings, stripe_client, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_invoice_for(country="NL", tax_percent="21", lines=2)
    invoice.refresh_from_db()
    assert invoice.total_amount == 29040  # 2 x 12,000 + 21% tax
    assert stripe_settings.count("invoice") == 1
    (stripe_invoice,) = stripe_invoices(stripe_client)
    assert stripe_invoice.total == 2_904_000 and stripe_invoice.currency == "usd"
    assert stripe_invoice.status == "open"
    assert stripe_invoice.collection_method == "send_invoice"
    assert stripe_invoice.metadata.to_dict() == {
        "ledgerline_invoice_id": str(invoice.pk),
        "ledgerline_invoice_number": invoice.number,
    }
    assert datetime.fromtimestamp(stripe_invoice.due_date, UTC).date() == invoice.due_date
    lines = stripe_client.v1.invoices.line_items.list(stripe_invoice.id).data
    ours = list(invoice.lines.order_by("position"))
    assert [line.amount for line in lines] == [1_200_000, 1_200_000, 504_000]
    assert [line.description for line in lines] == [
        ours[0].description,
        ours[1].description,
        "VAT 21%",
    ]
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert (push.state, push.step, push.attempts) == ("pushed", "finalized", 1)
    assert push.stripe_total == 2_904_000 and push.stripe_number == stripe_invoice.number
    assert invoice.stripe_invoice_id == stripe_invoice.id
    assert invoice.stripe_customer_id == invoice.account.stripe_customer_id
    customer = stripe_client.v1.customers.retrieve(invoice.stripe_customer_id)
    assert customer.name == invoice.account.legal_name
    assert customer.email == invoice.account.contacts.first().email
    assert customer.metadata.ledgerline_account_id == str(invoice.account_id)


def test_a_yen_invoice_is_pushed_in_whole_yen(stripe_settings, stripe_client):
    invoice = issue_invoice_for(currency="JPY", unit_price="120000", quantity="3")
    assert run_push(invoice.pk) == "pushed"
    (stripe_invoice,) = stripe_invoices(stripe_client)
    assert (stripe_invoice.currency, stripe_invoice.total) == ("jpy", 360_000)
    assert invoice.total_amount == 360_000


def test_a_kuwaiti_dinar_invoice_is_pushed_in_fils(stripe_settings, stripe_client):
    invoice = issue_invoice_for(currency="KWD", unit_price="1.25", quantity="3")
    assert str(invoice.total_amount.normalize()) == "3.75"
    assert run_push(invoice.pk) == "pushed"
    (stripe_invoice,) = stripe_invoices(stripe_client)
    assert (stripe_invoice.currency, stripe_invoice.total) == ("kwd", 3750)


def test_an_amount_stripe_cannot_carry_exactly_is_refused_before_anything_is_sent(
    stripe_settings,
):
    # KWD 1.235: Stripe wants three-decimal amounts to end in 0, so 1235 fils cannot go.
    invoice = issue_invoice_for(currency="KWD", unit_price="1.235", quantity="1")
    assert run_push(invoice.pk) == "failed"
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert push.last_error_code == "not_representable_at_stripe"
    assert "1.2350 KWD cannot be sent to Stripe exactly" in push.last_error
    assert stripe_settings.requests() == []


def test_running_the_push_task_twice_makes_one_stripe_invoice(stripe_settings):
    invoice = issue_invoice_for()
    run_push(invoice.pk)
    requests_after_first = len(stripe_settings.requests())
    assert run_push(invoice.pk) == "pushed"
    assert stripe_settings.count("invoice") == 1
    assert len(stripe_settings.requests()) == requests_after_first  # a no-op


def test_a_duplicate_without_our_progress_record_finds_the_invoice_by_metadata(
    stripe_settings,
):
    invoice = issue_invoice_for()
    run_push(invoice.pk)
    first = Invoice.objects.get(pk=invoice.pk).stripe_invoice_id
    # As if the first run had never recorded anything on our side.
    StripeInvoicePush.objects.filter(invoice=invoice).delete()
    stripe_settings.idempotency.reset()  # and its keys had expired at Stripe (24 h)
    assert run_push(invoice.pk) == "pushed"
    assert stripe_settings.count("invoice") == 1
    assert StripeInvoicePush.objects.get(invoice=invoice).stripe_invoice_id == first
    assert len(creates(stripe_settings)) == 1


def test_a_reply_lost_after_stripe_created_the_invoice_is_retried_into_the_same_invoice(
    stripe_settings,
):
    invoice = issue_invoice_for()
    # Stripe creates the invoice, then the connection drops before the reply arrives.
    stripe_settings.inject_fault(
        mode="close", method="POST", path_prefix="/v1/invoices", when="after"
    )
    assert run_push(invoice.pk) == "pushed"
    assert stripe_settings.count("invoice") == 1
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert push.attempts == 2
    (lost,) = [r for r in creates(stripe_settings) if r["fault"]]
    assert lost["idempotency_key"] == f"ledgerline-invoice-{invoice.pk}-invoice"


def test_a_lost_finalize_reply_is_replayed_not_repeated(stripe_settings, stripe_client):
    invoice = issue_invoice_for()
    # POST /v1/invoices/<id>/... is only the finalize in this flow.
    stripe_settings.inject_fault(
        mode="close", method="POST", path_prefix="/v1/invoices/", when="after"
    )
    assert run_push(invoice.pk) == "pushed"
    # The retry finds the invoice already open and does not finalize it again.
    finalizes = [r for r in stripe_settings.requests() if r["path"].endswith("/finalize")]
    assert len(finalizes) == 1 and finalizes[0]["fault"] is not None
    assert stripe_settings.count("invoice") == 1
    assert stripe_invoices(stripe_client)[0].status == "open"


def test_an_outage_is_retried_with_exponential_backoff(stripe_settings):
    invoice = issue_invoice_for()
    stripe_settings.inject_fault(mode="error", status=503, count=2)
    countdowns = []

    def record(sender=None, reason=None, **kwargs):
        countdowns.append(reason.when)

    task_retry.connect(record, weak=False)
    try:
        assert run_push(invoice.pk) == "pushed"
    finally:
        task_retry.disconnect(record)
    assert countdowns == [5, 10]
    assert StripeInvoicePush.objects.get(invoice=invoice).attempts == 3
    assert stripe_settings.count("invoice") == 1


def test_a_retrying_push_shows_on_the_integration_page_with_its_next_attempt(
    stripe_settings, client
):
    invoice = issue_invoice_for()
    stripe_settings.inject_fault(mode="error", status=503)
    with pytest.raises(StripeUnavailable):
        push_invoice(invoice_id=invoice.pk, final_attempt=False, retry_in=20)
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert push.state == PushState.RETRYING
    assert timedelta(seconds=19) < push.next_retry_at - push.last_error_at <= timedelta(seconds=20)
    client.force_login(UserFactory(role=roles.FINANCE))
    page = client.get(reverse("stripe_billing:integration_errors")).content.decode()
    assert invoice.number in page and "Retrying" in page
    assert "Stripe 503" in page and "Retry now" in page


def test_an_outage_outlasting_the_retries_fails_and_is_retried_from_the_page(
    stripe_settings, client, eager_celery, django_capture_on_commit_callbacks
):
    invoice = issue_invoice_for()
    stripe_settings.inject_fault(mode="error", status=500, count=1000)
    assert run_push(invoice.pk) == "failed"
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert push.attempts == push_invoice_to_stripe.max_retries + 1
    assert push.next_retry_at is None

    client.force_login(UserFactory(role=roles.FINANCE))
    url = reverse("stripe_billing:integration_errors")
    page = client.get(url).content.decode()
    assert invoice.number in page and "Failed" in page and "Stripe 500" in page

    stripe_settings.faults.clear()  # Stripe is back
    retry = reverse("stripe_billing:retry_push", args=["invoice", push.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response.status_code == 302
    push.refresh_from_db()
    assert push.state == PushState.PUSHED
    assert stripe_settings.count("invoice") == 1
    assert 'id="failed-pushes"' not in client.get(url).content.decode()


def test_the_integration_page_and_its_retry_button_check_permissions(stripe_settings, client):
    invoice = issue_invoice_for()
    stripe_settings.inject_fault(mode="error", status=500, count=1000)
    run_push(invoice.pk)
    push = StripeInvoicePush.objects.get(invoice=invoice)
    url = reverse("stripe_billing:integration_errors")
    retry = reverse("stripe_billing:retry_push", args=["invoice", push.pk])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory(role=roles.DEAL_DESK))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role=roles.AUDITOR))
    page = client.get(url)
    assert page.status_code == 200 and invoice.number in page.content.decode()
    assert "Retry now" not in page.content.decode()
    assert client.post(retry).status_code == 403
    assert StripeInvoicePush.objects.get(pk=push.pk).state == PushState.FAILED


def test_only_a_failed_or_stalled_push_can_be_retried(stripe_settings, client):
    invoice = issue_invoice_for()
    run_push(invoice.pk)
    push = StripeInvoicePush.objects.get(invoice=invoice)
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.post(
        reverse("stripe_billing:retry_push", args=["invoice", push.pk]), follow=True
    )
    assert "only failed, retrying or stalled pushes" in response.content.decode()
    assert StripeInvoicePush.objects.get(pk=push.pk).state == PushState.PUSHED


def test_nothing_is_pushed_while_stripe_is_disabled(
    stripe_settings, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.STRIPE_ENABLED = False
    with django_capture_on_commit_callbacks(execute=True):
        issue_invoice_for()
    assert stripe_settings.requests() == []
    assert not StripeInvoicePush.objects.exists()


def test_one_stripe_customer_per_account_updated_on_each_push(stripe_settings, stripe_client):
    first = issue_invoice_for()
    run_push(first.pk)
    account = first.account
    account.legal_name = "Renamed Corp"
    account.save()
    second = issue_invoice_for(account=account)
    run_push(second.pk)
    assert stripe_settings.count("customer") == 1
    account.refresh_from_db()
    assert stripe_client.v1.customers.retrieve(account.stripe_customer_id).name == "Renamed Corp"
    assert stripe_settings.count("invoice") == 2


def test_an_invoice_already_due_goes_to_stripe_due_now_with_our_due_date_kept(
    stripe_settings, stripe_client
):
    invoice = issue_invoice_for(invoice_date=timezone.localdate() - timedelta(days=45))
    assert invoice.due_date < timezone.localdate()
    assert run_push(invoice.pk) == "pushed"
    (stripe_invoice,) = stripe_invoices(stripe_client)
    assert stripe_invoice.metadata.ledgerline_due_date == invoice.due_date.isoformat()
    assert stripe_invoice.status == "open"
    assert stripe_invoice.due_date <= datetime.now(UTC).timestamp() + 60


def test_a_credit_note_follows_its_invoice_to_stripe(stripe_settings, stripe_client):
    invoice = issue_invoice_for()
    run_push(invoice.pk)
    note = issue_credit_note(invoice=invoice, actor=None, reason="Goodwill", amount=Decimal("2500"))
    assert run_credit_note_push(note.pk) == "pushed"
    assert run_credit_note_push(note.pk) == "pushed"
    (stripe_note,) = stripe_client.v1.credit_notes.list().data
    assert (
        stripe_note.amount == 250_000
        and stripe_note.invoice == invoice.stripe_push.stripe_invoice_id
    )
    assert stripe_note.metadata.ledgerline_credit_note_number == note.number
    stripe_invoice = stripe_client.v1.invoices.retrieve(stripe_note.invoice)
    assert stripe_invoice.amount_remaining == 1_200_000 - 250_000


def test_a_credit_note_issued_before_the_push_waits_for_it(stripe_settings, eager_celery):
    invoice = issue_invoice_for()
    assert StripeInvoicePush.objects.get(invoice=invoice).state == PushState.PENDING  # outbox
    note = issue_credit_note(invoice=invoice, actor=None, reason="Goodwill", amount=Decimal("100"))
    assert StripeCreditNotePush.objects.get(credit_note=note).kind == "credit_note"  # outbox
    assert run_credit_note_push(note.pk, retries=8) == "failed"
    assert StripeCreditNotePush.objects.get(credit_note=note).last_error.startswith("Waiting")
    run_push(invoice.pk)  # then queues the waiting credit note
    assert StripeCreditNotePush.objects.get(credit_note=note).state == PushState.PUSHED
    assert stripe_settings.count("credit_note") == 1


def test_voiding_our_invoice_voids_the_stripe_invoice(
    stripe_settings, stripe_client, eager_celery, django_capture_on_commit_callbacks
):
    invoice = issue_invoice_for()
    run_push(invoice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        void_invoice(invoice=invoice, actor=None, reason="Wrong customer")
    push = StripeCreditNotePush.objects.get(credit_note__invoice=invoice)
    assert (push.kind, push.state) == ("void_invoice", "pushed")
    stripe_invoice = stripe_client.v1.invoices.retrieve(invoice.stripe_push.stripe_invoice_id)
    assert stripe_invoice.status == "void"
    assert stripe_settings.count("credit_note") == 0


def test_an_invoice_voided_before_its_push_never_reaches_stripe(stripe_settings):
    invoice = issue_invoice_for()
    assert StripeInvoicePush.objects.filter(invoice=invoice).exists()  # the outbox row
    void_invoice(invoice=invoice, actor=None, reason="Issued by mistake")
    assert run_push(invoice.pk) == "skipped"
    assert stripe_settings.count("invoice") == 0


def test_an_invoice_voided_mid_push_has_its_stripe_draft_deleted(stripe_settings, stripe_client):
    invoice = issue_invoice_for()
    # The first attempt dies after creating the draft (all item creates fail for good).
    stripe_settings.inject_fault(
        mode="error", status=500, method="POST", path_prefix="/v1/invoiceitems", count=1000
    )
    assert run_push(invoice.pk) == "failed"
    assert stripe_settings.count("invoice") == 1
    stripe_settings.faults.clear()
    void_invoice(invoice=invoice, actor=None, reason="Issued by mistake")
    note = invoice.credit_notes.get()
    assert StripeCreditNotePush.objects.get(credit_note=note).kind == "void_invoice"  # outbox
    assert run_credit_note_push(note.pk) == "skipped"
    assert stripe_settings.count("invoice") == 0
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert (push.state, push.stripe_status) == ("skipped", "deleted")


def test_pushes_whose_message_was_lost_are_queued_again(stripe_settings, eager_celery):
    invoice = issue_invoice_for()
    push = StripeInvoicePush.objects.get(invoice=invoice)  # the outbox row; the message lost
    assert requeue_stalled_stripe_pushes.apply().get() == 0  # not stalled yet
    StripeInvoicePush.objects.filter(pk=push.pk).update(
        updated_at=timezone.now() - timedelta(minutes=30)
    )
    assert requeue_stalled_stripe_pushes.apply().get() == 1
    assert StripeInvoicePush.objects.get(pk=push.pk).state == PushState.PUSHED
    assert stripe_settings.count("invoice") == 1


def test_issuing_succeeds_while_stripe_is_unreachable_and_the_push_waits_on_the_page(
    stripe_settings, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        invoice = issue_invoice_for()
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    push = StripeInvoicePush.objects.get(invoice=invoice)
    assert (push.state, push.last_error_code) == (PushState.FAILED, "stripe_unavailable")


def test_the_admin_lists_pushes_read_only_and_retries_through_the_service(
    stripe_settings, client, eager_celery, django_capture_on_commit_callbacks
):
    invoice = issue_invoice_for()
    stripe_settings.inject_fault(mode="error", status=500, count=1000)
    run_push(invoice.pk)
    stripe_settings.faults.clear()
    push = StripeInvoicePush.objects.get(invoice=invoice)
    client.force_login(UserFactory(role=roles.FINANCE))
    changelist = reverse("admin:stripe_billing_stripeinvoicepush_changelist")
    assert invoice.number in client.get(changelist).content.decode()
    change = reverse("admin:stripe_billing_stripeinvoicepush_change", args=[push.pk])
    assert client.post(change, {"state": "pushed"}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "retry_now", "_selected_action": [push.pk]})
    assert StripeInvoicePush.objects.get(pk=push.pk).state == PushState.PUSHED
