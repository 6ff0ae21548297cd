"""The invoice page, PDF and e-mail show the Stripe status and the hosted payment link
from the Stripe push record, when there is one."""

import io

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from billing.documents.pdf import invoice_pdf_bytes
from billing.services.delivery import deliver_invoice_email
from integrations.stripe.models import StripeInvoicePush
from ordermgmt import roles
from tests.billing.page_helpers import draft_invoice, logged_in
from tests.billing.test_delivery import issued_invoice

pytestmark = pytest.mark.django_db

HOSTED = "https://invoice.stripe.com/i/acct_1Test/test_YWNjdF8x"


@pytest.fixture(autouse=True)
def mail_and_media(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pushed(invoice, stripe_status="open"):
    StripeInvoicePush.objects.update_or_create(
        invoice=invoice,
        defaults={
            "state": "pushed",
            "stripe_invoice_id": "in_1Test",
            "stripe_status": stripe_status,
            "hosted_invoice_url": HOSTED,
        },
    )
    return invoice


def test_the_invoice_page_shows_the_stripe_status_and_the_pay_online_link(client):
    invoice = pushed(issued_invoice())
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert '<dd id="stripe-status">Open in Stripe · <a href="' + HOSTED in html
    assert 'id="pay-online-link"' in html


def test_a_paid_invoice_offers_no_pay_online_link(client):
    invoice = pushed(issued_invoice(), stripe_status="paid")
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Paid in Stripe" in html and HOSTED not in html


def test_an_invoice_never_pushed_shows_no_stripe_line(client):
    invoice = draft_invoice()
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="stripe-status"' not in html


def test_the_invoice_pdf_prints_the_pay_online_link():
    invoice = pushed(issued_invoice())
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf_bytes(invoice))).pages
    )
    assert "Pay online:" in text and "invoice.stripe.com" in text


def test_the_invoice_email_carries_the_pay_online_link():
    invoice = pushed(issued_invoice())
    deliver_invoice_email(invoice_id=invoice.pk)
    (message,) = mail.outbox
    assert f"Pay online: {HOSTED}" in message.body
