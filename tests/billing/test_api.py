"""Billing over the REST API: schedule lines, invoices and credit notes."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import CreditNote, Invoice
from billing.services import issue_invoice, void_invoice
from ordermgmt import roles
from tests.billing.api_helpers import ADM, AUD, DD, FIN, OS, as_role, bill, draft_invoice, post
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    UserFactory,
    active_contract,
    billable_account,
    line_input,
)

pytestmark = pytest.mark.django_db


# --- Schedule lines ------------------------------------------------------------------------------


def test_schedule_lines_filter_by_contract_status_and_billing_date(client):
    monthly = active_contract(billing_frequency="monthly")
    active_contract()
    bill(date(2026, 2, 1))
    as_role(client, DD)
    rows = client.get(
        "/api/v1/schedule-lines/",
        {
            "contract": monthly.pk,
            "status": "pending",
            "billing_date_from": "2026-03-01",
            "billing_date_to": "2026-05-31",
        },
    ).json()["results"]
    assert [r["billing_date"] for r in rows] == ["2026-03-01", "2026-04-01", "2026-05-01"]
    first = rows[0]
    assert first["amount"] == "1000.00" and first["kind"] == "recurring"
    assert first["contract_reference"] == monthly.reference and first["invoice"] is None
    assert "formula" in first["explanation"]
    billed = client.get(
        "/api/v1/schedule-lines/", {"contract": monthly.pk, "status": "billed"}
    ).json()
    assert billed["count"] == 2
    assert billed["results"][0]["invoice"] == Invoice.objects.get(contract=monthly).pk


# --- Invoices ------------------------------------------------------------------------------------


def test_an_invoice_has_its_lines_each_with_why_this_amount(client):
    invoice = draft_invoice()
    as_role(client, AUD)
    body = client.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert body["number"] is None and body["status"] == "draft"
    assert (body["total_amount"], body["open_amount"], body["currency"]) == (
        "12000.00",
        "12000.00",
        "USD",
    )
    assert body["contract_reference"] == invoice.contract.reference
    assert body["pdf_url"] == f"/billing/invoices/{invoice.pk}/pdf/"
    (line,) = body["lines"]
    assert line["amount"] == "12000.00" and line["tax_amount"] == "0.00"
    assert line["explanation"]["schedule_line"] == line["schedule_line"]
    assert line["explanation"]["contract_line"] == line["contract_line"]
    assert line["explanation"]["formula"].startswith("10 × $1,200.00")


def test_amounts_use_the_currency_minor_unit(client):
    account = billable_account(billing_country="JP", default_currency="JPY")
    invoice = draft_invoice(
        account=account,
        currency="JPY",
        lines=[line_input(quantity=Decimal(3), unit_price=Decimal("1000.4"))],
    )
    as_role(client, FIN)
    body = client.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert body["total_amount"] == "3001" and body["lines"][0]["amount"] == "3001"


def test_invoices_filter_by_status_settlement_account_currency_and_dates(client):
    first = draft_invoice()
    eur_account = billable_account(billing_country="DE")
    eur = draft_invoice(account=eur_account, currency="EUR", payment_terms="NET60")
    issued = issue_invoice(invoice=first, actor=None)
    as_role(client, FIN)

    def ids(**params):
        return [r["id"] for r in client.get("/api/v1/invoices/", params).json()["results"]]

    assert ids(status="issued") == [issued.pk]
    assert ids(settlement_status="unpaid", status="draft") == [eur.pk]
    assert ids(account=eur_account.pk) == [eur.pk]
    assert ids(currency="USD") == [issued.pk]
    assert sorted(ids(invoice_date_from="2026-01-01", invoice_date_to="2026-01-01")) == sorted(
        [issued.pk, eur.pk]
    )
    assert ids(due_date_from="2026-02-15") == [eur.pk]  # NET60: due 2 March
    assert ids(due_date_to="2026-02-15") == [issued.pk]
    assert ids(invoice_date_from="2026-01-02") == []
    assert ids(search=issued.number) == [issued.pk]


def test_the_invoice_list_is_paginated(client):
    draft_invoice()
    as_role(client, OS)
    body = client.get("/api/v1/invoices/").json()
    assert set(body) == {"count", "next", "previous", "results"}


def test_issuing_over_the_api_assigns_the_number_and_refuses_twice(client):
    invoice = draft_invoice()
    as_role(client, OS)
    response = post(client, f"/api/v1/invoices/{invoice.pk}/issue/")
    assert response.status_code == 200
    assert response.json()["number"] == "INV-2026-000001"
    again = post(client, f"/api/v1/invoices/{invoice.pk}/issue/")
    assert again.status_code == 400
    assert (again.json()["field"], again.json()["code"]) == ("status", "illegal_transition")


def test_issuing_can_re_date_the_invoice(client):
    invoice = draft_invoice()
    as_role(client, OS)
    body = post(
        client, f"/api/v1/invoices/{invoice.pk}/issue/", {"invoice_date": "2026-01-05"}
    ).json()
    assert (body["invoice_date"], body["due_date"]) == ("2026-01-05", "2026-02-04")


def test_voiding_needs_a_reason_and_credits_everything(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, FIN)
    refused = post(client, f"/api/v1/invoices/{invoice.pk}/void/", {"reason": " "})
    assert refused.status_code == 400
    assert refused.json() == {
        "field": "reason",
        "code": "required",
        "message": "Give a reason.",
    }
    body = post(client, f"/api/v1/invoices/{invoice.pk}/void/", {"reason": "Duplicate"}).json()
    assert body["status"] == "void" and body["open_amount"] == "0.00"
    (note,) = body["credit_notes"]
    assert note["is_void_of_invoice"] and note["total_amount"] == "12000.00"
    assert note["reason"] == "Void: Duplicate"


def test_a_credit_note_by_amount_or_by_lines(client):
    TaxRateFactory(country="NL", percent=Decimal("21"))
    product = ProductFactory()
    invoice = issue_invoice(
        invoice=draft_invoice(
            account=billable_account(billing_country="NL"),
            lines=[
                line_input(product, quantity=Decimal(1), unit_price=Decimal(100)),
                line_input(product, quantity=Decimal(1), unit_price=Decimal(50)),
            ],
        ),
        actor=None,
    )
    as_role(client, OS)
    url = f"/api/v1/invoices/{invoice.pk}/credit-notes/"
    by_amount = post(client, url, {"amount": "12.10", "reason": "Goodwill"})
    assert by_amount.status_code == 201
    assert (by_amount.json()["total_amount"], by_amount.json()["tax_amount"]) == ("12.10", "2.10")
    second_line = invoice.lines.order_by("position").last()
    by_line = post(
        client,
        url,
        {"reason": "Seat removed", "lines": [{"invoice_line": second_line.pk, "amount": "10.00"}]},
    )
    assert by_line.status_code == 201
    body = by_line.json()
    assert body["lines"] == [
        {
            "id": body["lines"][0]["id"],
            "invoice_line": second_line.pk,
            "description": second_line.description,
            "amount": "10.00",
            "tax_amount": "2.10",
        }
    ]
    assert body["invoice_number"] == invoice.number and body["account"] == invoice.account_id


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"amount": "12000.01", "reason": "x"}, "amount", "exceeds_invoice"),
        ({"amount": "0.001", "reason": "x"}, "amount", "invalid_amount"),
        ({"reason": "x"}, "amount", "amount_or_lines"),
        ({"amount": "10.00"}, "reason", "required"),
    ],
)
def test_a_bad_credit_note_is_a_400_naming_the_field(client, payload, field, code):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, OS)
    response = post(client, f"/api/v1/invoices/{invoice.pk}/credit-notes/", payload)
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert CreditNote.objects.count() == 0


def test_a_credit_for_a_line_of_another_invoice_is_refused(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    other = draft_invoice()
    as_role(client, OS)
    response = post(
        client,
        f"/api/v1/invoices/{invoice.pk}/credit-notes/",
        {"reason": "x", "lines": [{"invoice_line": other.lines.get().pk, "amount": "1.00"}]},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_on_invoice"


def test_a_voided_invoice_is_corrected_by_a_new_draft(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    void_invoice(invoice=invoice, actor=None, reason="wrong PO")
    as_role(client, OS)
    response = post(client, f"/api/v1/invoices/{invoice.pk}/correct/")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["replaces"], body["total_amount"]) == (
        "draft",
        invoice.pk,
        "12000.00",
    )
    assert client.get(f"/api/v1/invoices/{invoice.pk}/").json()["corrections"] == [body["id"]]
    again = post(client, f"/api/v1/invoices/{invoice.pk}/correct/")
    assert (again.status_code, again.json()["code"]) == (400, "already_corrected")


ACTIONS = {
    "issue": ({OS, ADM}, lambda: draft_invoice(), {}),
    "void": (
        {OS, FIN, ADM},
        lambda: issue_invoice(invoice=draft_invoice(), actor=None),
        {"reason": "r"},
    ),
    "credit-notes": (
        {OS, FIN, ADM},
        lambda: issue_invoice(invoice=draft_invoice(), actor=None),
        {"amount": "1.00", "reason": "r"},
    ),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", roles.ROLES)
def test_invoice_actions_check_the_role(client, action, role):
    allowed, make, payload = ACTIONS[action]
    invoice = make()
    as_role(client, role)
    response = post(client, f"/api/v1/invoices/{invoice.pk}/{action}/", payload)
    assert response.status_code in ({200, 201} if role in allowed else {403})


def test_invoices_are_not_created_changed_or_deleted_over_the_api(client):
    invoice = draft_invoice()
    as_role(client, ADM)
    assert post(client, "/api/v1/invoices/", {}).status_code == 405
    response = client.patch(
        f"/api/v1/invoices/{invoice.pk}/", {"po_number": "x"}, content_type="application/json"
    )
    assert response.status_code == 405
    assert client.delete(f"/api/v1/invoices/{invoice.pk}/").status_code == 405


def test_a_user_without_a_role_cannot_read_invoices(client):
    draft_invoice()
    client.force_login(UserFactory())
    assert client.get("/api/v1/invoices/").status_code == 403
    client.logout()
    assert client.get("/api/v1/invoices/").status_code == 401  # anonymous: authenticate first


# --- Credit notes ----------------------------------------------------------------------------


def test_credit_notes_list_and_filter(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    other = issue_invoice(invoice=draft_invoice(), actor=None)
    void_invoice(invoice=other, actor=None, reason="dup")
    as_role(client, DD)
    url = "/api/v1/credit-notes/"
    assert client.get(url).json()["count"] == 1
    assert client.get(url, {"invoice": invoice.pk}).json()["count"] == 0
    (note,) = client.get(url, {"account": other.account_id}).json()["results"]
    assert note["invoice"] == other.pk and note["is_void_of_invoice"]
    assert client.get(f"{url}{note['id']}/").json()["lines"][0]["amount"] == "12000.00"
    assert client.get(url, {"credit_date_from": "2999-01-01"}).json()["count"] == 0
