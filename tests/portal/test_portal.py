"""The customer portal: a billing contact signs in with a one-time e-mailed link, sees
its own account's documents and nothing else, downloads them, goes to Stripe's hosted
page to pay, and raises disputes that land in collections. Every action is recorded."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import URLPattern, get_resolver
from django.utils import timezone

from billing.services.credit_notes import issue_credit_note
from collections_app.models import ActivityKind, CollectionActivity
from integrations.stripe.models import StripeInvoicePush
from portal.models import PortalAction, PortalActivity, PortalLink
from tests.factories import ContactFactory, IssuedInvoiceFactory

pytestmark = pytest.mark.django_db


def link_in(message) -> str:
    return re.search(r"https?://\S+/portal/sign-in/\S+/", message.body).group(0)


def request_link(client, email: str):
    return client.post("/portal/sign-in/", {"email": email})


def signed_in(client, contact):
    request_link(client, contact.email)
    path = link_in(mail.outbox[-1]).split("testserver", 1)[1]
    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    return client


@pytest.fixture
def book():
    """Two customers, each with a billing contact, an invoice and a credit note."""
    mine, theirs = ContactFactory(), ContactFactory()
    my_invoice = IssuedInvoiceFactory(account=mine.account, total="1200.00")
    their_invoice = IssuedInvoiceFactory(account=theirs.account, total="900.00")
    my_note = issue_credit_note(
        invoice=my_invoice, amount=Decimal("200.00"), reason="Credit", actor=None
    )
    their_note = issue_credit_note(
        invoice=their_invoice, amount=Decimal("100.00"), reason="Credit", actor=None
    )
    return mine, theirs, my_invoice, their_invoice, my_note, their_note


def test_a_billing_contact_gets_a_one_time_link_whose_token_is_not_stored(client, book):
    mine = book[0]
    response = request_link(client, mine.email.upper())
    assert response.status_code == 302 and response["Location"] == "/portal/sign-in/sent/"
    (message,) = mail.outbox
    assert message.to == [mine.email]
    token = link_in(message).rstrip("/").rsplit("/", 1)[1]
    link = PortalLink.objects.get()
    assert token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - timezone.now() <= timedelta(minutes=30)


def test_an_unknown_address_gets_the_same_answer_and_no_e_mail(client, book):
    response = request_link(client, "stranger@elsewhere.example")
    assert response.status_code == 302 and response["Location"] == "/portal/sign-in/sent/"
    assert mail.outbox == [] and not PortalLink.objects.exists()


def test_opening_the_link_asks_to_continue_and_only_the_post_uses_it_up(client, book):
    mine = book[0]
    request_link(client, mine.email)
    path = link_in(mail.outbox[0]).split("testserver", 1)[1]
    assert client.get(path).status_code == 200  # a mail scanner's fetch changes nothing
    assert PortalLink.objects.get().used_at is None
    assert client.post(path)["Location"] == "/portal/"
    home = client.get("/portal/").content.decode()
    assert book[2].number in home and book[3].number not in home

    again = client.__class__().post(path)
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_an_expired_link_is_refused(client, book):
    request_link(client, book[0].email)
    path = link_in(mail.outbox[0]).split("testserver", 1)[1]
    PortalLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(path)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert client.get("/portal/")["Location"] == "/portal/sign-in/"


def test_a_person_paying_for_two_accounts_gets_one_link_per_account(client, book):
    mine = book[0]
    other = ContactFactory(email=mine.email)
    request_link(client, mine.email)
    assert len(mail.outbox) == 2
    assert {m.subject for m in mail.outbox} == {
        f"Your sign-in link for {mine.account.legal_name}",
        f"Your sign-in link for {other.account.legal_name}",
    }


def test_a_portal_session_opens_no_staff_page(client, book):
    signed_in(client, book[0])
    assert client.get("/billing/invoices/").status_code == 302
    assert client.get("/api/v1/invoices/").status_code == 401


def test_the_home_page_shows_the_balance_due_and_only_issued_documents(client, book):
    mine, _, my_invoice, _, my_note, _ = book
    signed_in(client, mine)
    page = client.get("/portal/").content.decode()
    assert "$1,000.00" in page  # 1,200.00 less the 200.00 credit note
    assert my_invoice.number in page and my_note.number in page


def portal_urls_with_ids() -> list[str]:
    """Every portal URL that takes a document id, found from the URL configuration, so a
    new one is checked here without anyone adding it."""
    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) == "portal/":
            return [
                p.name
                for p in pattern.url_patterns
                if isinstance(p, URLPattern) and "<int:pk>" in str(p.pattern)
            ]
    return []


def test_every_portal_url_with_an_id_refuses_another_accounts_document(client, book):
    mine, _, _, their_invoice, _, their_note = book
    signed_in(client, mine)
    names = portal_urls_with_ids()
    assert sorted(names) == [
        "credit_note_einvoice",
        "credit_note_pdf",
        "dispute",
        "invoice",
        "invoice_einvoice",
        "invoice_pdf",
        "pay",
    ]
    targets = {"credit_note_pdf": their_note.pk, "credit_note_einvoice": their_note.pk}
    for name in names:
        pk = targets.get(name, their_invoice.pk)
        path = {
            "invoice": f"/portal/invoices/{pk}/",
            "invoice_pdf": f"/portal/invoices/{pk}/pdf/",
            "pay": f"/portal/invoices/{pk}/pay/",
            "dispute": f"/portal/invoices/{pk}/dispute/",
            "credit_note_pdf": f"/portal/credit-notes/{pk}/pdf/",
            "invoice_einvoice": f"/portal/invoices/{pk}/einvoice/ubl/",
            "credit_note_einvoice": f"/portal/credit-notes/{pk}/einvoice/xrechnung/",
        }[name]
        response = (
            client.post(path, {"reason": "pricing", "amount": "1", "note": "x"})
            if name
            in {
                "pay",
                "dispute",
            }
            else client.get(path)
        )
        assert response.status_code == 404, (name, response.status_code)
    assert not CollectionActivity.objects.exists()
    assert not PortalActivity.objects.exclude(
        action__in=[PortalAction.LINK_SENT, PortalAction.SIGNED_IN]
    ).exists()


def test_a_dispute_raised_in_the_portal_lands_in_collections_and_is_recorded(client, book):
    mine, _, my_invoice, *_ = book
    signed_in(client, mine)
    response = client.post(
        f"/portal/invoices/{my_invoice.pk}/dispute/",
        {"reason": "quantity", "amount": "1,000.00", "note": "We have 8 seats, not 10."},
    )
    assert response.status_code == 302
    dispute = CollectionActivity.objects.get(kind=ActivityKind.DISPUTE)
    assert (dispute.invoice, dispute.amount, dispute.dispute_reason) == (
        my_invoice,
        Decimal("1000.00"),
        "quantity",
    )
    assert mine.email in dispute.body and "8 seats" in dispute.body
    assert PortalActivity.objects.filter(
        action=PortalAction.RAISED_DISPUTE, document=my_invoice.number, contact=mine
    ).exists()
    assert "Under review" in client.get(f"/portal/invoices/{my_invoice.pk}/").content.decode()


def test_a_dispute_above_the_invoice_total_is_refused_naming_the_amount(client, book):
    mine, _, my_invoice, *_ = book
    signed_in(client, mine)
    response = client.post(
        f"/portal/invoices/{my_invoice.pk}/dispute/",
        {"reason": "pricing", "amount": "5000", "note": "Too much"},
    )
    assert response.status_code == 400
    assert not CollectionActivity.objects.exists()


def test_pay_goes_to_stripes_hosted_page_only_for_an_open_invoice_that_went_to_stripe(client, book):
    mine, _, my_invoice, *_ = book
    signed_in(client, mine)
    refused = client.get(f"/portal/invoices/{my_invoice.pk}/pay/")
    assert refused["Location"] == f"/portal/invoices/{my_invoice.pk}/"
    StripeInvoicePush.objects.create(
        invoice=my_invoice, hosted_invoice_url="https://invoice.stripe.com/i/acct_1/test_x"
    )
    response = client.get(f"/portal/invoices/{my_invoice.pk}/pay/")
    assert response["Location"] == "https://invoice.stripe.com/i/acct_1/test_x"
    assert PortalActivity.objects.filter(action=PortalAction.STARTED_PAYMENT).count() == 1


def test_documents_download_and_each_download_is_recorded(client, book):
    mine, _, my_invoice, _, my_note, _ = book
    signed_in(client, mine)
    pdf = client.get(f"/portal/invoices/{my_invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    note = client.get(f"/portal/credit-notes/{my_note.pk}/pdf/")
    assert note.status_code == 200 and note.content.startswith(b"%PDF")
    today = timezone.localdate()
    csv = client.get(
        "/portal/statement/", {"start": "2025-12-01", "end": str(today), "file_format": "csv"}
    )
    assert csv.status_code == 200
    # 1,200.00 invoiced, 200.00 credited today: 1,000.00 owed at the end of the period.
    assert f"{today},Closing balance,,,,,1000.0000" in csv.content.decode()
    actions = set(PortalActivity.objects.values_list("action", flat=True))
    assert {
        PortalAction.DOWNLOADED_INVOICE,
        PortalAction.DOWNLOADED_CREDIT_NOTE,
        PortalAction.DOWNLOADED_STATEMENT,
    } <= actions


def test_a_statement_ending_before_it_starts_is_refused_naming_the_end_date(client, book):
    signed_in(client, book[0])
    response = client.get("/portal/statement/", {"start": "2026-02-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
