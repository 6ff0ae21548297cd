"""Before a credit note or a void, a confirmation page shows its effect: the amount, the
open balance after and what goes to Stripe. The page itself writes nothing."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import CreditNote, Invoice
from ordermgmt import roles
from tests.billing.confirming import hidden_fields
from tests.billing.page_helpers import logged_in
from tests.billing.test_delivery import issued_invoice
from tests.billing.test_stripe_link import pushed

pytestmark = pytest.mark.django_db


def confirm_url(invoice, action):
    return reverse("billing:invoice_action_confirm", args=[invoice.pk, action])


def shown(html: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}">(.*?)</dd>', html, re.S).group(1)


def test_the_credit_confirmation_shows_amount_open_balance_after_and_stripe(client):
    invoice = issued_invoice()  # 12,000.00 open
    logged_in(client, roles.FINANCE)
    response = client.get(
        confirm_url(invoice, "credit"), {"credit-amount": "2,000.00", "credit-reason": "goodwill"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert shown(html, "effect-amount") == "$2,000.00"
    assert shown(html, "effect-open-before") == "$12,000.00"
    assert shown(html, "effect-open-after") == "$10,000.00"
    assert shown(html, "effect-stripe") == "Nothing: this invoice is not in Stripe."
    assert CreditNote.objects.count() == 0


def test_the_credit_confirmation_says_what_is_sent_to_stripe(client):
    invoice = pushed(issued_invoice())
    logged_in(client, roles.FINANCE)
    html = client.get(
        confirm_url(invoice, "credit"), {"credit-amount": "500", "credit-reason": "goodwill"}
    ).content.decode()
    assert shown(html, "effect-stripe").startswith("A Stripe credit note of $500.00 on in_1Test")


def test_the_void_confirmation_shows_the_whole_credit_and_the_stripe_void(client):
    invoice = pushed(issued_invoice())
    logged_in(client, roles.FINANCE)
    html = client.get(confirm_url(invoice, "void"), {"void-reason": "wrong customer"}).content
    html = html.decode()
    assert shown(html, "effect-amount") == "$12,000.00"
    assert shown(html, "effect-open-after") == "$0.00"
    assert shown(html, "effect-stripe") == "The Stripe invoice in_1Test is voided."
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"credit-amount": "12,000.01", "credit-reason": "too much"}, "amount"),
        ({"credit-amount": "1e3", "credit-reason": "exponent"}, "amount"),
        ({"credit-amount": "100", "credit-reason": " "}, "reason"),
    ],
)
def test_a_credit_the_service_would_refuse_is_refused_on_its_field_before_confirming(
    client, params, field
):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    response = client.get(confirm_url(invoice, "credit"), params)
    assert response.status_code == 400
    forms = dict(response.context["action_forms"])
    (form,) = [f for action, f in forms.items() if action.name == "credit"]
    assert form.errors[field]
    assert CreditNote.objects.count() == 0


def test_the_invoice_page_sends_credit_and_void_through_the_confirmation(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    html = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert f'method="get" action="{confirm_url(invoice, "credit")}"' in html
    assert f'method="get" action="{confirm_url(invoice, "void")}"' in html


def test_confirming_issues_the_credit_note_shown(client):
    invoice = issued_invoice()
    logged_in(client, roles.FINANCE)
    page = client.get(
        confirm_url(invoice, "credit"), {"credit-amount": "2,000.00", "credit-reason": "goodwill"}
    ).content.decode()
    hidden = hidden_fields(page)
    response = client.post(reverse("billing:invoice_action", args=[invoice.pk, "credit"]), hidden)
    assert response.status_code == 302
    assert Invoice.objects.get(pk=invoice.pk).open_amount == 10000


def test_the_confirmation_page_is_refused_without_the_permission(client):
    invoice = issued_invoice()
    logged_in(client, roles.AUDITOR)
    response = client.get(confirm_url(invoice, "void"), {"void-reason": "x"})
    assert response.status_code == 403


def test_the_credit_note_page_links_its_pdf_which_reads_back_with_number_and_amount(client):
    import io

    from pypdf import PdfReader

    from billing.services import issue_credit_note

    invoice = issued_invoice()
    note = issue_credit_note(
        invoice=invoice, actor=None, reason="goodwill", amount=Decimal("2000.00")
    )
    logged_in(client, roles.FINANCE)
    url = reverse("billing:credit_note_pdf", args=[note.pk])
    page = client.get(reverse("billing:credit_note_detail", args=[note.pk])).content.decode()
    assert f'href="{url}" id="credit-note-pdf-link"' in page
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert note.number in text and invoice.number in text and "2,000.00" in text


def test_the_credit_note_pdf_is_refused_without_the_view_right(client):
    from billing.services import issue_credit_note

    note = issue_credit_note(
        invoice=issued_invoice(), actor=None, reason="goodwill", amount=Decimal("10")
    )
    logged_in(client, None)  # signed in, without a role
    assert client.get(reverse("billing:credit_note_pdf", args=[note.pk])).status_code == 403
