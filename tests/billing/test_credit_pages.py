"""The credit note page: credit on account applied, reversed and refunded in the browser
admin's pages, who may do what, and where the invoice and customer pages show it."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import CreditApplication, CreditRefund
from billing.services import apply_credit_note
from ordermgmt import roles
from tests.billing.confirming import confirmed_refund_fields
from tests.billing.test_cash_pages import error_codes, logged_in, text
from tests.billing.test_credit_on_account import credit, paid_invoice
from tests.collections.test_aging_book import issued_invoice
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def book():
    account = AccountFactory(legal_name="Creditco")
    paid = paid_invoice(account)
    note = credit(paid, "200.00")
    other = issued_invoice(account, "500.00", date(2026, 2, 1))
    return note, paid, other


def url(name, obj):
    return reverse(f"billing:{name}", args=[obj.pk])


def test_the_page_shows_what_went_on_account(client, book):
    note, paid, _ = book
    logged_in(client, roles.AUDITOR)
    response = client.get(url("credit_note_detail", note))
    page = text(response)
    assert response.status_code == 200
    assert "Left on account $200.00" in page and "Unapplied $200.00" in page
    assert f"Taken off {paid.number} $0.00" in page
    assert response.context["apply_form"] is None  # an auditor reads, no form


def test_finance_applies_credit_to_an_invoice_on_the_page(client, book):
    note, _, other = book
    logged_in(client, roles.FINANCE)
    page = client.get(url("credit_note_detail", note))
    assert [row.invoice.pk for row in page.context["apply_form"].invoice_rows] == [other.pk]
    response = client.post(
        url("credit_note_apply", note),
        {f"apply-invoice_{other.pk}": "120.00", "apply-applied_date": "2026-02-10"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.open_amount == D("380.00")
    assert "Unapplied $80.00" in text(client.get(url("credit_note_detail", note)))


def test_over_applying_credit_shows_the_error_at_the_invoice_and_changes_nothing(client, book):
    note, _, other = book
    logged_in(client, roles.FINANCE)
    response = client.post(url("credit_note_apply", note), {f"apply-invoice_{other.pk}": "200.01"})
    assert response.status_code == 400
    assert error_codes(response.context["apply_form"], f"invoice_{other.pk}") == [
        "exceeds_unapplied"
    ]
    assert 'value="200.01"' in response.content.decode()
    other.refresh_from_db()
    assert other.credited_amount == 0 and CreditApplication.objects.count() == 0


def test_a_reversal_needs_a_reason_then_gives_the_credit_back(client, book):
    note, _, other = book
    (application,) = apply_credit_note(
        credit_note=note, allocations=[(other, D("100.00"))], actor=None
    )
    logged_in(client, roles.FINANCE)
    reverse_url = url("credit_application_reverse", application)
    prefix = f"reverse-{application.pk}"
    refused = client.post(reverse_url, {f"{prefix}-reason": ""})
    assert refused.status_code == 400
    assert error_codes(refused.context["application_rows"][0][1], "reason") == ["required"]
    assert CreditApplication.objects.count() == 1
    done = client.post(reverse_url, {f"{prefix}-reason": "Wrong invoice"})
    assert done.status_code == 302
    other.refresh_from_db()
    assert other.open_amount == D("500.00")


def test_refunding_credit_on_the_page(client, book):
    note, _, _ = book
    logged_in(client, roles.FINANCE)
    refused = client.post(
        url("credit_note_refund", note),
        {"refund-amount": "200.01", "refund-reference": "RF", "refund-reason": "Closing"},
    )
    assert refused.status_code == 400 and CreditRefund.objects.count() == 0
    assert error_codes(refused.context["refund_form"], "amount") == ["exceeds_unapplied"]
    fields = confirmed_refund_fields(
        client,
        url("credit_note_refund_confirm", note),
        {"refund-amount": "200.00", "refund-reference": "RF-2", "refund-reason": "Closing"},
    )
    done = client.post(url("credit_note_refund", note), fields)
    assert done.status_code == 302
    note.refresh_from_db()
    assert note.unapplied_amount == 0


@pytest.mark.parametrize("role", [roles.ORDER_SPECIALIST, roles.DEAL_DESK, roles.AUDITOR])
def test_roles_that_do_not_move_cash_get_403(client, book, role):
    note, _, other = book
    logged_in(client, role)
    applied = client.post(url("credit_note_apply", note), {f"apply-invoice_{other.pk}": "10"})
    refunded = client.post(
        url("credit_note_refund", note),
        {"refund-amount": "10", "refund-reference": "R", "refund-reason": "R"},
    )
    assert (applied.status_code, refunded.status_code) == (403, 403)
    note.refresh_from_db()
    assert note.unapplied_amount == D("200.00")


def test_the_invoice_and_customer_pages_show_the_credit_trail(client, book):
    note, paid, other = book
    apply_credit_note(
        credit_note=note,
        allocations=[(other, D("150.00"))],
        actor=None,
        applied_date=date(2026, 2, 10),
    )
    logged_in(client, roles.ORDER_SPECIALIST)
    source = text(client.get(url("invoice_detail", paid)))
    assert f"{note.number}" in source and "$200.00" in source  # left on account
    target = text(client.get(url("invoice_detail", other)))
    assert "Credit on account applied here" in target and note.number in target
    timeline = text(client.get(reverse("billing:account_detail", args=[other.account_id])))
    assert f"Credit {note.number} applied" in timeline and "$200.00 left on account" in timeline
