"""The invoice page: what it shows and what its forms do."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from billing.models import CreditNote, Invoice
from billing.services import (
    apply_payment,
    issue_invoice,
    record_payment,
    void_invoice,
)
from ordermgmt import services
from tests.billing.confirming import confirmed_invoice_action
from tests.billing.page_helpers import AUD, DD, FIN, OS, bill, draft_invoice, logged_in, text
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
)

pytestmark = pytest.mark.django_db


# --- Invoice page ------------------------------------------------------------------------------


def test_the_invoice_page_explains_a_prorated_amount(client):
    # Monthly, billed on the 1st, starting 15 Jan: the first period is 17 of 31 days.
    invoice = draft_invoice(
        date(2026, 1, 15),
        start_date=date(2026, 1, 15),
        end_date=date(2027, 1, 14),
        billing_frequency="monthly",
        billing_anchor_day=1,
    )
    line = invoice.lines.order_by("position").first()
    logged_in(client, OS)
    page = text(client.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "DRAFT" in page
    assert "Why this amount" in page
    assert invoice.contract.reference in page
    assert f"#{line.schedule_line_id}: Subscription period 1" in page
    assert "15 Jan 2026 – 31 Jan 2026" in page
    assert "10 × $1,200.00 = $12,000.00 a year × 1/12 year × 17/31 days" in page
    assert "Partial period, actual/actual: 17/31 days" in page
    assert "Exact 548.387097, rounded once to $548.39" in page


def test_the_invoice_page_names_the_ramp_step_and_the_rounding_remainder(client):
    product = ProductFactory()
    ramp = [
        services.RampStepInput(date(2026, 1, 1), date(2026, 6, 30), Decimal(10), Decimal(100)),
        services.RampStepInput(date(2026, 7, 1), date(2026, 12, 31), Decimal(20), Decimal(100)),
    ]
    contract = active_contract(
        billing_frequency="quarterly",
        lines=[line_input(product, quantity=Decimal(10), unit_price=Decimal(100), ramp_steps=ramp)],
    )
    bill(date(2026, 12, 31))
    invoice = Invoice.objects.get(contract=contract)
    logged_in(client, AUD)
    page = text(client.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Ramp step 2026-07-01 – 2026-12-31" in page
    assert "Source Ramp step" in page


def test_the_invoice_page_shows_totals_tax_and_the_pdf_link(client):
    TaxRateFactory(country="NL", percent=Decimal("21"))
    invoice = draft_invoice(account=billable_account(billing_country="NL"))
    logged_in(client, FIN)
    response = client.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    page = text(response)
    assert "Subtotal $12,000.00 Tax $2,520.00 Total $14,520.00" in page
    assert "Open —" in page  # a draft: nothing is open before issue (issue 17)
    assert reverse("billing:invoice_pdf", args=[invoice.pk]) in response.content.decode()


def test_the_invoice_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    invoice = draft_invoice(date(2026, 12, 1), billing_frequency="monthly")
    assert invoice.lines.count() == 12
    logged_in(client, OS)
    with django_assert_max_num_queries(20):
        client.get(reverse("billing:invoice_detail", args=[invoice.pk]))


def test_the_specialist_issues_a_draft_from_the_invoice_page(client):
    invoice = draft_invoice()
    user = logged_in(client, OS)
    response = client.post(
        reverse("billing:invoice_action", args=[invoice.pk, "issue"]), follow=True
    )
    invoice.refresh_from_db()
    assert invoice.number == "INV-2026-000001" and invoice.status == "issued"
    page = text(response)
    assert "Issued INV-2026-000001." in page
    history = response.context["detail"].history
    assert (history[-1].user, history[-1].reason) == (user.username, "invoice.issued")
    assert "number: — → INV-2026-000001" in history[-1].changes


@pytest.mark.parametrize("role", [FIN, DD, AUD])
def test_roles_without_the_issue_permission_cannot_issue(client, role):
    invoice = draft_invoice()
    logged_in(client, role)
    page = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert 'id="action-issue"' not in page
    response = client.post(reverse("billing:invoice_action", args=[invoice.pk, "issue"]))
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == "draft"


def test_an_unknown_action_is_not_found(client):
    invoice = draft_invoice()
    logged_in(client, OS)
    response = client.post(reverse("billing:invoice_action", args=[invoice.pk, "delete"]))
    assert response.status_code == 404


def test_a_credit_above_the_open_amount_shows_on_the_amount_field_and_changes_nothing(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    logged_in(client, FIN)
    response = client.post(
        reverse("billing:invoice_action", args=[invoice.pk, "credit"]),
        {"credit-amount": "12000.01", "credit-reason": "Too much"},
    )
    assert response.status_code == 400
    forms = dict(response.context["action_forms"])
    (form,) = [f for a, f in forms.items() if a.name == "credit"]
    assert "exceeds" in form.errors["amount"][0]
    assert CreditNote.objects.count() == 0


def test_a_credit_without_reason_is_refused_on_the_reason_field(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    logged_in(client, OS)
    response = client.post(
        reverse("billing:invoice_action", args=[invoice.pk, "credit"]),
        {"credit-amount": "100.00", "credit-reason": ""},
    )
    assert response.status_code == 400
    assert "Give a reason." in text(response)
    assert CreditNote.objects.count() == 0


def test_credit_note_void_and_correction_from_the_invoice_page(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    logged_in(client, OS)
    url = lambda action: reverse("billing:invoice_action", args=[invoice.pk, action])  # noqa: E731
    confirmed_invoice_action(
        client, invoice, "credit", {"credit-amount": "1000.00", "credit-reason": "Goodwill"}
    )
    confirmed_invoice_action(client, invoice, "void", {"void-reason": "Wrong entity"})
    response = client.post(url("correct"))
    correction = Invoice.objects.get(replaces=invoice)
    assert response.url == reverse("billing:invoice_detail", args=[correction.pk])

    page = text(client.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Goodwill" in page and "Void: Wrong entity" in page
    assert f"Corrected by draft #{correction.pk} (draft)" in page
    correction_page = text(client.get(response.url))
    assert f"Corrects {invoice.number} (voided)" in correction_page


def test_a_refused_action_is_shown_as_a_message(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    void_invoice(invoice=invoice, actor=None, reason="dup")
    logged_in(client, OS)
    response = client.post(
        reverse("billing:invoice_action", args=[invoice.pk, "void"]),
        {"void-reason": "again"},
        follow=True,
    )
    assert "Only an issued invoice can be credited" in text(response)


def test_the_invoice_page_lists_payments_applied(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    payment = record_payment(
        account=invoice.account,
        amount=Decimal("5000.00"),
        currency="USD",
        received_date=date(2026, 1, 20),
        method="wire",
        reference="WIRE-991",
        actor=None,
    )
    apply_payment(payment=payment, invoice=invoice, amount=Decimal("5000.00"), actor=None)
    logged_in(client, FIN)
    page = text(client.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "Wire transfer WIRE-991" in page and "Open $7,000.00" in page
    logged_in(client, DD)  # deal desk does not see cash
    page = text(client.get(reverse("billing:invoice_detail", args=[invoice.pk])))
    assert "WIRE-991" not in page


def test_a_stripe_payment_paid_before_the_invoice_date_shows_the_day_it_arrived_once_labelled(
    client,
):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    payment = record_payment(
        account=invoice.account,
        amount=Decimal("5000.00"),
        currency="USD",
        received_date=date(2025, 12, 20),
        method="stripe",
        reference="Stripe in_1Abc",  # as the Stripe webhook records it
        actor=None,
    )
    apply_payment(  # cash cannot settle an invoice before its date: it waits for it
        payment=payment,
        invoice=invoice,
        amount=Decimal("5000.00"),
        actor=None,
        applied_date=invoice.invoice_date,
    )
    logged_in(client, FIN)
    response = client.get(reverse("billing:invoice_detail", args=[invoice.pk]))
    page = text(response)
    assert "Stripe Stripe" not in page and "Stripe in_1Abc" in page
    (row,) = re.findall(
        r'<table class="grid" id="payments-applied">.*?<tbody>(.*?)</tbody>',
        response.content.decode(),
        flags=re.S,
    )
    first_cell = re.search(r"<td[^>]*>(.*?)</td>", row, flags=re.S).group(1)
    assert first_cell.strip() == "20 Dec 2025"
    assert "settles from 1 Jan 2026, the invoice date" in text(response)


def test_the_pdf_link_serves_the_stored_document(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    invoice.pdf.save("stored.pdf", ContentFile(b"%PDF-1.7 stored copy"), save=True)
    logged_in(client, AUD)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 stored copy"
    assert f'filename="{invoice.number}.pdf"' in response["Content-Disposition"]


def test_the_pdf_of_a_draft_is_rendered_on_demand(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = draft_invoice()
    logged_in(client, OS)
    response = client.get(reverse("billing:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert f"draft-invoice-{invoice.pk}.pdf" in response["Content-Disposition"]
