"""E-invoice downloads from the invoice and credit note pages and the API (same rights as
the PDF), and the e-invoice attached to the invoice e-mail where the account asks."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from facturx import get_xml_from_pdf

from billing.einvoice import render_einvoice
from billing.models import EInvoiceFile
from billing.services import issue_credit_note
from billing.services.delivery import deliver_invoice_email
from ordermgmt import roles
from tests.einvoice.conftest import german_buyer, issued
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_invoice_page_links_and_serves_each_einvoice(client, german_seller):
    invoice = issued(german_buyer())
    client.force_login(UserFactory(role=roles.AUDITOR))
    page = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    for syntax in ("facturx-pdf", "xrechnung", "ubl"):
        url = reverse("billing:invoice_einvoice", args=[invoice.pk, syntax])
        assert url in page
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == render_einvoice(document=invoice, syntax=syntax)[2]
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}-ubl.xml"' in response["Content-Disposition"]


def test_the_credit_note_page_serves_its_factur_x_pdf(client, german_seller):
    invoice = issued(german_buyer())
    note = issue_credit_note(invoice=invoice, actor=None, reason="Credit", amount=Decimal("119"))
    client.force_login(UserFactory(role=roles.DEAL_DESK))
    page = client.get(reverse("billing:credit_note_detail", args=[note.pk])).content.decode()
    url = reverse("billing:credit_note_einvoice", args=[note.pk, "facturx-pdf"])
    assert url in page
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert get_xml_from_pdf(response.content)[0] == "factur-x.xml"


def test_a_page_download_that_cannot_be_made_goes_back_with_the_reason(client, german_seller):
    invoice = issued(german_buyer(buyer_reference=""))
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.get(
        reverse("billing:invoice_einvoice", args=[invoice.pk, "xrechnung"]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("billing:invoice_detail", args=[invoice.pk])
    assert "buyer reference" in response.content.decode()
    assert not EInvoiceFile.objects.exists()


def test_a_user_without_the_invoice_right_gets_no_einvoice(client, german_seller):
    invoice = issued(german_buyer())
    client.force_login(UserFactory())  # staff, no role
    response = client.get(reverse("billing:invoice_einvoice", args=[invoice.pk, "ubl"]))
    assert response.status_code == 403
    api = client.get(f"/api/v1/invoices/{invoice.pk}/einvoice/ubl/")
    assert api.status_code == 403
    assert not EInvoiceFile.objects.exists()


def test_the_api_serves_invoice_and_credit_note_einvoices(client, german_seller):
    invoice = issued(german_buyer())
    note = issue_credit_note(invoice=invoice, actor=None, reason="Credit", amount=Decimal("119"))
    client.force_login(UserFactory(role=roles.AUDITOR))
    response = client.get(f"/api/v1/invoices/{invoice.pk}/einvoice/xrechnung/")
    assert response.status_code == 200
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in response.content
    response = client.get(f"/api/v1/credit-notes/{note.pk}/einvoice/ubl/")
    assert response.status_code == 200 and b"<CreditNote" in response.content
    assert client.get(f"/api/v1/invoices/{invoice.pk}/einvoice/pdf-x/").status_code == 404
    assert client.get("/api/v1/invoices/999999/einvoice/ubl/").status_code == 404


def test_the_api_answers_400_naming_the_missing_field(client, german_seller):
    invoice = issued(german_buyer(buyer_reference=""))
    client.force_login(UserFactory(role=roles.AUDITOR))
    response = client.get(f"/api/v1/invoices/{invoice.pk}/einvoice/xrechnung/")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "buyer_reference",
        "einvoice_data_missing",
    )


def test_the_einvoice_endpoints_are_in_the_openapi_schema(client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/invoices/{id}/einvoice/{syntax}/",
        "/api/v1/credit-notes/{id}/einvoice/{syntax}/",
    ):
        operation = schema["paths"][path]["get"]
        syntax = next(p for p in operation["parameters"] if p["name"] == "syntax")
        assert set(syntax["schema"]["enum"]) == {"facturx-pdf", "facturx-xml", "xrechnung", "ubl"}
        assert "400" in operation["responses"]
        assert set(operation["responses"]["200"]["content"]) == {
            "application/pdf",
            "application/xml",
        }


@pytest.mark.parametrize(
    ("preference", "attached"),
    [("", None), ("xrechnung", "-xrechnung.xml"), ("facturx-pdf", ".pdf")],
)
def test_the_invoice_email_carries_the_einvoice_the_account_asks_for(
    german_seller, preference, attached
):
    invoice = issued(german_buyer(einvoice_format=preference))
    deliver_invoice_email(invoice_id=invoice.pk)
    (message,) = mail.outbox
    names = [name for name, _content, _type in message.attachments]
    expected = [f"{invoice.number}.pdf"]
    if attached == ".pdf":
        expected = [f"{invoice.number}.pdf", f"{invoice.number}.pdf"]
    elif attached:
        expected.append(f"{invoice.number}{attached}")
    assert names == expected
    if preference == "facturx-pdf":
        factur_x = message.attachments[1][1]
        assert (
            get_xml_from_pdf(factur_x)[1]
            == render_einvoice(document=invoice, syntax="facturx-xml")[2]
        )
