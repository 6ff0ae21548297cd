"""In real headless Chromium: a customer's billing contact signs in to the portal with
the e-mailed link, raises a dispute on one invoice, pays another on Stripe's hosted page
(the simulator, over HTTP) and, once Stripe's `invoice.paid` webhook arrives, sees it
paid. Set LEDGERLINE_SCREENSHOTS=<dir> to keep pictures of the pages."""

from __future__ import annotations

import os

import pytest
from django.core import mail
from playwright.sync_api import expect

from billing.models import Invoice
from collections_app.models import ActivityKind, CollectionActivity
from portal.models import PortalAction, PortalActivity
from tests.factories import ContactFactory, IssuedInvoiceFactory, billable_account
from tests.integrations.stripe.conftest import (  # noqa: F401  (fixtures)
    issue_invoice_for,
    run_push,
    sim_http,
    stripe_client,
    stripe_settings,
    stripe_simulator,
)
from tests.integrations.stripe.test_webhooks import deliver, stripe_event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    folder = os.environ.get("LEDGERLINE_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"portal-{name}.png"), full_page=True)


def test_a_contact_signs_in_by_link_disputes_one_invoice_and_pays_another_through_stripe(
    live_server,
    page,
    stripe_settings,  # noqa: F811
    sim_http,  # noqa: F811
    client,
):
    account = billable_account(legal_name="Northwind Traders Inc.")
    contact = ContactFactory(account=account, name="Dana Whitfield", email="ap@northwind.example")
    older = IssuedInvoiceFactory(account=contact.account, total="2400.00")
    invoice = issue_invoice_for(account=contact.account)  # 12,000.00, issued today
    assert run_push(invoice.pk) == "pushed"
    invoice = Invoice.objects.get(pk=invoice.pk)  # now with its Stripe id

    page.goto(f"{live_server.url}/portal/sign-in/")
    page.fill("input[name=email]", "ap@northwind.example")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Check your e-mail")
    (message,) = mail.outbox[-1:]
    link = next(word for word in message.body.split() if "/portal/sign-in/" in word)
    page.goto(link)
    page.click("#continue")
    expect(page.locator(".figure .amount").first).to_have_text("$14,400.00")
    screenshot(page, "home")

    page.click(f"text={older.number}")
    form = page.locator("#dispute-form")
    form.locator("select[name=reason]").select_option("quantity")
    form.locator("input[name=amount]").fill("400.00")
    form.locator("textarea[name=note]").fill("We were billed 12 seats; the order form says 10.")
    form.locator("button[type=submit]").click()
    expect(page.locator("#dispute-open")).to_contain_text("Quantity or seats")
    dispute = CollectionActivity.objects.get(kind=ActivityKind.DISPUTE)
    assert (dispute.invoice_id, str(dispute.amount)) == (older.pk, "400.0000")

    page.goto(f"{live_server.url}/portal/invoices/{invoice.pk}/")
    screenshot(page, "invoice")
    page.click("#pay")
    page.wait_for_url(f"{stripe_settings.url}/_sim/hosted/*")
    page.click("text=Pay by card")
    expect(page.locator("b")).to_have_text("paid")

    event = stripe_event(sim_http, "invoice.paid", invoice.stripe_invoice_id)
    assert deliver(client, event).status_code == 200
    page.goto(f"{live_server.url}/portal/invoices/{invoice.pk}/")
    expect(page.locator("#open-amount")).to_have_text("$0.00")
    expect(page.locator("#pay")).to_have_count(0)
    screenshot(page, "paid")

    assert Invoice.objects.get(pk=invoice.pk).settlement_status == "paid"
    assert list(
        PortalActivity.objects.filter(contact=contact)
        .order_by("at", "id")
        .values_list("action", flat=True)
    ) == [
        PortalAction.LINK_SENT,
        PortalAction.SIGNED_IN,
        PortalAction.VIEWED_INVOICE,
        PortalAction.RAISED_DISPUTE,
        PortalAction.VIEWED_INVOICE,
        PortalAction.VIEWED_INVOICE,
        PortalAction.STARTED_PAYMENT,
        PortalAction.VIEWED_INVOICE,
    ]
