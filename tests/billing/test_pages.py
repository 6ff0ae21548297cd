"""The billing pages: who may open them, and the invoice list."""

from datetime import date

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing import views
from billing.services import (
    issue_credit_note,
    issue_invoice,
)
from ordermgmt import roles
from tests.billing.page_helpers import ADM, AUD, DD, FIN, OS, bill, draft_invoice, logged_in, text
from tests.factories import (
    active_contract,
    billable_account,
)

pytestmark = pytest.mark.django_db


# --- Who may open what -----------------------------------------------------------------------

PAGES = {
    "invoice list": lambda ids: reverse("billing:invoice_list"),
    "invoice page": lambda ids: reverse("billing:invoice_detail", args=[ids["invoice"]]),
    "run list": lambda ids: reverse("billing:run_list"),
    "run page": lambda ids: reverse("billing:run_detail", args=[ids["run"]]),
    "run progress": lambda ids: reverse("billing:run_progress", args=[ids["run"]]),
    "customer page": lambda ids: reverse("billing:account_detail", args=[ids["account"]]),
}
ALLOWED = {
    "invoice list": {OS, DD, FIN, AUD, ADM},
    "invoice page": {OS, DD, FIN, AUD, ADM},
    "run list": {OS, FIN, AUD, ADM},
    "run page": {OS, FIN, AUD, ADM},
    "run progress": {OS, FIN, AUD, ADM},
    "customer page": {OS, DD, FIN, AUD, ADM},
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", [*roles.ROLES, None])
def test_each_role_opens_the_billing_pages_it_may_and_gets_403_elsewhere(client, page, role):
    invoice = draft_invoice()
    ids = {"invoice": invoice.pk, "run": invoice.billing_run_id, "account": invoice.account_id}
    logged_in(client, role)
    response = client.get(PAGES[page](ids))
    assert response.status_code == (200 if role in ALLOWED[page] else 403)


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_who_is_not_signed_in_is_sent_to_the_login_page(client, page):
    invoice = draft_invoice()
    ids = {"invoice": invoice.pk, "run": invoice.billing_run_id, "account": invoice.account_id}
    response = client.get(PAGES[page](ids))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_navigation_links_to_invoices_and_billing_runs_by_role(client):
    logged_in(client, DD)
    nav = client.get(reverse("home")).content.decode()
    assert "nav-invoices" in nav and "nav-billing-runs" not in nav
    logged_in(client, OS)
    nav = client.get(reverse("home")).content.decode()
    assert "nav-invoices" in nav and "nav-billing-runs" in nav


# --- Invoice list ------------------------------------------------------------------------------


def invoice_numbers(response) -> list[str]:
    return [row.invoice.number or f"DRAFT #{row.invoice.pk}" for row in response.context["rows"]]


def test_the_invoice_list_filters_by_status_currency_and_account(client):
    usd = draft_invoice()
    eur_account = billable_account(billing_country="DE", default_currency="EUR")
    eur = draft_invoice(account=eur_account, currency="EUR")
    issued = issue_invoice(invoice=usd, actor=None)
    logged_in(client, FIN)
    url = reverse("billing:invoice_list")

    assert invoice_numbers(client.get(url, {"status": "issued"})) == [issued.number]
    assert invoice_numbers(client.get(url, {"currency": "EUR"})) == [f"DRAFT #{eur.pk}"]
    assert invoice_numbers(client.get(url, {"account": eur_account.pk})) == [f"DRAFT #{eur.pk}"]
    assert len(invoice_numbers(client.get(url))) == 2


def test_the_invoice_list_filters_by_part_of_the_account_name_without_listing_accounts(client):
    wanted = draft_invoice(account=billable_account(legal_name="Northwind Traders GmbH"))
    draft_invoice(account=billable_account(legal_name="Contoso Ltd"))
    logged_in(client, FIN)
    url = reverse("billing:invoice_list")
    response = client.get(url, {"account": "  northwind "})
    assert invoice_numbers(response) == [f"DRAFT #{wanted.pk}"]
    assert "<select" not in str(response.context["form"]["account"])  # a text box
    assert invoice_numbers(client.get(url, {"account": "nobody-like-this"})) == []


def test_the_invoice_list_searches_number_account_name_and_po(client):
    account = billable_account(legal_name="Globex Corporation")
    globex = draft_invoice(account=account, po_number="PO-7781")
    draft_invoice()
    issued = issue_invoice(invoice=globex, actor=None)
    logged_in(client, OS)
    url = reverse("billing:invoice_list")
    for term in ["globex", "PO-7781", issued.number[-6:]]:
        assert invoice_numbers(client.get(url, {"q": term})) == [issued.number], term


def test_the_invoice_list_filters_a_date_range_and_refuses_an_inverted_one(client):
    active_contract(billing_frequency="monthly")
    bill(date(2026, 1, 1))
    bill(date(2026, 2, 1))
    logged_in(client, FIN)
    url = reverse("billing:invoice_list")
    response = client.get(url, {"date_from": "2026-01-15", "date_to": "2026-02-28"})
    assert [r.invoice.invoice_date for r in response.context["rows"]] == [date(2026, 2, 1)]
    response = client.get(url, {"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert "before the start date" in text(response)


@freeze_time("2026-03-10")
def test_the_overdue_filter_shows_issued_unpaid_invoices_past_their_due_date(client):
    overdue = issue_invoice(invoice=draft_invoice(), actor=None)  # due 31 Jan 2026
    paid_off = issue_invoice(invoice=draft_invoice(), actor=None)
    issue_credit_note(invoice=paid_off, actor=None, reason="waived", amount=paid_off.total_amount)
    draft_invoice()  # a draft is never overdue
    logged_in(client, FIN)
    response = client.get(reverse("billing:invoice_list"), {"overdue": "on"})
    assert invoice_numbers(response) == [overdue.number]
    assert "Overdue" in text(response)


def test_the_invoice_list_totals_each_currency_apart(client):
    draft_invoice()
    draft_invoice()
    eur_account = billable_account(billing_country="DE")
    draft_invoice(account=eur_account, currency="EUR")
    logged_in(client, FIN)
    totals = client.get(reverse("billing:invoice_list")).context["totals"]
    assert [(t.currency, t.invoices, t.invoiced) for t in totals] == [
        ("EUR", 1, "€12,000.00"),
        ("USD", 2, "$24,000.00"),
    ]


def test_a_draft_row_shows_no_open_amount_as_the_totals_count_issued_invoices_only(client):
    draft = draft_invoice()
    logged_in(client, FIN)
    context = client.get(reverse("billing:invoice_list")).context
    (row,) = context["rows"]
    assert row.invoice == draft and row.total == "$12,000.00"
    assert [t.open for t in context["totals"]] == ["$0.00"]
    assert row.open == "—"


def test_the_invoice_list_is_paginated_and_keeps_the_filters(client, monkeypatch):
    monkeypatch.setattr(views, "INVOICES_PER_PAGE", 2)
    for _ in range(3):
        active_contract()
    bill()
    logged_in(client, OS)
    url = reverse("billing:invoice_list")
    first = client.get(url, {"status": "draft"})
    assert len(first.context["rows"]) == 2
    assert "?status=draft&amp;page=2" in first.content.decode()
    second = client.get(url, {"status": "draft", "page": 2})
    assert len(second.context["rows"]) == 1


def test_the_invoice_list_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(5):
        active_contract()
    bill()
    logged_in(client, OS)
    with django_assert_max_num_queries(12):
        client.get(reverse("billing:invoice_list"))
