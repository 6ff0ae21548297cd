"""E-invoices from the portal: the same file the staff pages serve, and a clear message
when the invoice lacks data an e-invoice needs."""

import pytest
from django.core import mail

from billing.einvoice import render_einvoice
from portal.models import PortalAction, PortalActivity
from tests.einvoice.conftest import german_buyer, german_seller, issued  # noqa: F401
from tests.factories import ContactFactory
from tests.portal.test_portal import link_in, request_link

pytestmark = pytest.mark.django_db


def sign_in(client, account):
    contact = ContactFactory(account=account)
    request_link(client, contact.email)
    client.post(link_in(mail.outbox[-1]).split("testserver", 1)[1])
    return contact


def test_the_portal_serves_each_einvoice_of_the_contacts_invoice(client, german_seller):  # noqa: F811
    invoice = issued(german_buyer())
    sign_in(client, invoice.account)
    page = client.get(f"/portal/invoices/{invoice.pk}/").content.decode()
    for syntax in ("facturx-pdf", "xrechnung", "ubl"):
        url = f"/portal/invoices/{invoice.pk}/einvoice/{syntax}/"
        assert url in page
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == render_einvoice(document=invoice, syntax=syntax)[2]
    assert PortalActivity.objects.filter(action=PortalAction.DOWNLOADED_EINVOICE).count() == 3


def test_an_einvoice_that_cannot_be_made_goes_home_with_the_reason(client, german_seller):  # noqa: F811
    invoice = issued(german_buyer(buyer_reference=""))
    sign_in(client, invoice.account)
    response = client.get(f"/portal/invoices/{invoice.pk}/einvoice/xrechnung/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert "buyer reference" in response.content.decode()


def test_an_unknown_einvoice_format_is_not_found(client, german_seller):  # noqa: F811
    invoice = issued(german_buyer())
    sign_in(client, invoice.account)
    assert client.get(f"/portal/invoices/{invoice.pk}/einvoice/edifact/").status_code == 404
