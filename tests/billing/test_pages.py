"""The billing pages: who may open them, what they show and what their forms do."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from freezegun import freeze_time

from billing import views
from billing.models import BillingRun, BillingRunException, CreditNote, Invoice
from billing.services import (
    apply_payment,
    execute_billing_run,
    issue_credit_note,
    issue_invoice,
    queue_billing_run,
    record_payment,
    void_invoice,
)
from ordermgmt import roles, services
from ordermgmt.models import Contract
from tests.billing.confirming import confirmed_invoice_action
from tests.factories import (
    AccountFactory,
    ProductFactory,
    TaxRateFactory,
    UserFactory,
    active_contract,
    billable_account,
    line_input,
)

pytestmark = pytest.mark.django_db

OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)


def bill(run_date=date(2026, 1, 1), *, dry_run=False, actor=None) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=actor, dry_run=dry_run)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def draft_invoice(run_date=date(2026, 1, 1), **terms) -> Invoice:
    contract = active_contract(**terms)
    bill(run_date)
    return Invoice.objects.get(contract=contract)


def logged_in(client, role):
    user = UserFactory(role=role) if role else UserFactory()
    client.force_login(user)
    return user


def text(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&gt;", ">")


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


# --- Billing runs ------------------------------------------------------------------------------


def test_a_preview_from_the_run_page_lists_what_it_would_bill(
    client, django_capture_on_commit_callbacks
):
    contract = active_contract()
    logged_in(client, OS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:run_list"), {"run_date": "2026-01-01", "mode": "preview"}
        )
    run = BillingRun.objects.get()
    assert response.url == reverse("billing:run_detail", args=[run.pk])
    assert run.dry_run and run.status == "completed" and Invoice.objects.count() == 0
    page = text(client.get(response.url))
    assert "Invoices it would make" in page
    assert f"{contract.reference} {contract.account.legal_name}" in page
    assert "$12,000.00" in page
    assert "This is the first preview for 1 Jan 2026." in page


def test_running_billing_from_the_page_makes_drafts_and_lists_them(
    client, django_capture_on_commit_callbacks
):
    active_contract()
    eur = active_contract(account=billable_account(billing_country="DE"), currency="EUR")
    user = logged_in(client, OS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:run_list"), {"run_date": "2026-01-01", "mode": "run"}
        )
    run = BillingRun.objects.get()
    assert run.created_by == user and run.invoices_created == 2
    page = text(client.get(response.url))
    assert "What it billed" in page
    assert "EUR 1 €12,000.00" in page and "USD 1 $12,000.00" in page
    assert f"DRAFT #{Invoice.objects.get(contract=eur).pk}" in page


def test_finance_sees_runs_but_cannot_start_one(client):
    logged_in(client, FIN)
    assert 'id="run-form"' not in client.get(reverse("billing:run_list")).content.decode()
    response = client.post(reverse("billing:run_list"), {"run_date": "2026-01-01", "mode": "run"})
    assert response.status_code == 403 and not BillingRun.objects.exists()


def test_a_run_without_a_legal_entity_is_refused_with_a_message(client):
    logged_in(client, OS)
    response = client.post(
        reverse("billing:run_list"), {"run_date": "2026-01-01", "mode": "run"}, follow=True
    )
    assert "No default legal entity" in text(response)
    assert not BillingRun.objects.exists()


def test_a_run_date_too_far_ahead_is_shown_on_the_date_field(client):
    active_contract()
    logged_in(client, OS)
    response = client.post(reverse("billing:run_list"), {"run_date": "2099-01-01", "mode": "run"})
    assert response.status_code == 400
    assert "more than a year ahead" in response.context["form"].errors["run_date"][0]


def test_the_progress_endpoint_follows_a_run_from_queued_to_completed(client):
    active_contract()
    active_contract()
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)  # not executed yet
    logged_in(client, OS)
    url = reverse("billing:run_progress", args=[run.pk])
    queued = client.get(url).json()
    assert queued == {
        "id": run.pk,
        "status": "queued",
        "status_label": "Queued",
        "dry_run": False,
        "groups_done": 0,
        "groups_total": 0,
        "percent": 0,
        "invoices_created": 0,
        "lines_billed": 0,
        "finished": False,
        "error": "",
    }
    page = client.get(reverse("billing:run_detail", args=[run.pk])).content.decode()
    assert "billing-run-progress" in page and 'data-finished="0"' in page

    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    done = client.get(url).json()
    assert (done["status"], done["finished"], done["percent"]) == ("completed", True, 100)
    assert (done["groups_done"], done["groups_total"], done["invoices_created"]) == (2, 2, 2)
    page = client.get(reverse("billing:run_detail", args=[run.pk])).content.decode()
    assert "billing-run-progress" not in page


def test_a_failed_run_shows_its_error(client):
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    BillingRun.objects.filter(pk=run.pk).update(status="failed", error="OperationalError: gone")
    logged_in(client, OS)
    page = text(client.get(reverse("billing:run_detail", args=[run.pk])))
    assert "The run stopped" in page and "OperationalError: gone" in page
    assert client.get(reverse("billing:run_progress", args=[run.pk])).json()["finished"]


def skipped_run():
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    TaxRateFactory(country="US")
    no_contact = active_contract(account=AccountFactory(billing_country="US"))
    billed = active_contract()
    return bill(), on_hold, no_contact, billed


def test_the_run_page_lists_exceptions_with_where_to_fix_them(client):
    run, on_hold, no_contact, _ = skipped_run()
    logged_in(client, OS)
    response = client.get(reverse("billing:run_detail", args=[run.pk]))
    page = text(response)
    assert "Exceptions 2 open of 2" in page
    assert f"{on_hold.reference} " in page and "Contract on billing hold" in page
    assert "No billing contact" in page and "has no billing contact" in page
    html = response.content.decode()
    assert reverse("admin:ordermgmt_contract_change", args=[on_hold.pk]) in html
    assert reverse("admin:ordermgmt_account_change", args=[no_contact.account_id]) in html
    assert "Skipped" in page and "Contract on billing hold: 1 contract" in page


def test_a_specialist_marks_an_exception_resolved(client):
    run, on_hold, _, _ = skipped_run()
    exception = run.exceptions.get(contract=on_hold)
    logged_in(client, OS)
    url = reverse("billing:exception_resolve", args=[exception.pk])
    response = client.post(url, {"next": "https://evil.example/", "resolution_note": "Fixed."})
    assert response.url == reverse("billing:run_detail", args=[run.pk])
    exception.refresh_from_db()
    assert exception.resolved
    page = text(client.get(reverse("billing:run_detail", args=[run.pk])))
    assert "Exceptions 1 open of 2" in page and "Resolved" in page
    runs_page = text(client.get(reverse("billing:run_list")))
    assert "Contract on billing hold" not in runs_page  # no longer on the open list


@pytest.mark.parametrize("role", [FIN, AUD, DD])
def test_roles_without_the_right_cannot_resolve_exceptions(client, role):
    run, on_hold, _, _ = skipped_run()
    exception = run.exceptions.get(contract=on_hold)
    logged_in(client, role)
    response = client.post(reverse("billing:exception_resolve", args=[exception.pk]))
    assert response.status_code == 403
    assert not BillingRunException.objects.get(pk=exception.pk).resolved


def test_the_preview_page_shows_what_changed_since_the_last_preview(client):
    first = active_contract(billing_frequency="monthly")
    bill(date(2026, 2, 1), dry_run=True)
    second = active_contract()
    Contract.objects.filter(pk=first.pk).update(billing_hold=True)
    again = bill(date(2026, 2, 1), dry_run=True)
    logged_in(client, OS)
    page = text(client.get(reverse("billing:run_detail", args=[again.pk])))
    assert "Changes since the last preview" in page
    assert f"+ {second.reference}" in page
    assert f"{first.reference}: $2,000.00 → skipped: Contract on billing hold" in page
    assert "Skipped Contract on billing hold" in page
    assert "Run billing for 1 Feb 2026" in page


def test_the_run_list_shows_recent_runs_and_open_exceptions(client):
    skipped_run()
    bill(date(2026, 1, 1), dry_run=True)
    logged_in(client, AUD)
    response = client.get(reverse("billing:run_list"))
    rows = response.context["runs"]
    # A preview writes no exceptions: its skips are in its preview rows.
    assert [(r.run.dry_run, r.invoices, r.open_exceptions) for r in rows] == [
        (True, 0, 0),
        (False, 1, 2),
    ]
    assert len(response.context["open_exceptions"]) == 2


# --- Customer page ------------------------------------------------------------------------------


def test_the_customer_timeline_puts_schedule_invoices_credits_and_payments_in_date_order(client):
    account = billable_account(legal_name="Initech LLC")
    contract = active_contract(account=account, billing_frequency="quarterly")
    bill(date(2026, 4, 1))  # Q1 and Q2
    invoice = issue_invoice(invoice=Invoice.objects.get(contract=contract), actor=None)
    note = issue_credit_note(
        invoice=invoice,
        actor=None,
        reason="Late go-live",
        amount=Decimal("500.00"),
        credit_date=date(2026, 4, 20),
    )
    payment = record_payment(
        account=account,
        amount=Decimal("1000.00"),
        currency="USD",
        received_date=date(2026, 4, 10),
        method="ach",
        reference="ACH-55",
        actor=None,
    )
    apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("1000.00"),
        actor=None,
        applied_date=date(2026, 4, 10),
    )
    logged_in(client, OS)
    with freeze_time("2026-05-15"):
        response = client.get(reverse("billing:account_detail", args=[account.pk]))
    timeline = response.context["timeline"]
    entries = [(e.when, e.kind) for e in timeline.entries]
    assert entries == sorted(
        entries,
        key=lambda e: (
            e[0],
            ["scheduled", "billed", "invoice", "credit_note", "payment"].index(e[1]),
        ),
    )
    assert entries == [
        (date(2026, 1, 1), "billed"),
        (date(2026, 4, 1), "billed"),
        (date(2026, 4, 1), "invoice"),
        (date(2026, 4, 10), "payment"),
        (date(2026, 4, 20), "credit_note"),
        (date(2026, 7, 1), "scheduled"),
        (date(2026, 10, 1), "scheduled"),
    ]
    assert timeline.today_index == 5
    page = text(response)
    assert "Initech LLC" in page
    assert f"Invoice {invoice.number}" in page and f"Credit note {note.number}" in page
    assert "Payment ACH ACH-55" in page and f"Applied to {invoice.number} $1,000.00" in page
    assert "Today, 15 May 2026: upcoming below" in page
    assert f"Billed on {invoice.number}" in page
    balance = timeline.balances[0]
    assert (balance.invoiced, balance.credited, balance.open) == (
        "$6,000.00",
        "$500.00",
        "$4,500.00",
    )


def test_the_customer_page_can_show_one_contract_only(client):
    account = billable_account()
    first = active_contract(account=account)
    second = active_contract(account=account, billing_frequency="monthly")
    bill(date(2026, 1, 1))
    logged_in(client, DD)
    url = reverse("billing:account_detail", args=[account.pk])
    response = client.get(url, {"contract": second.pk})
    assert {e.contract for e in response.context["timeline"].entries} == {second.reference}
    assert "Payments are hidden" in text(response)  # deal desk does not see cash
    assert client.get(url, {"contract": "nope"}).status_code == 404
    other = active_contract()
    assert client.get(url, {"contract": other.pk}).status_code == 404
    assert first.reference in text(client.get(url))


def test_the_customer_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    account = billable_account()
    for _ in range(3):
        active_contract(account=account, billing_frequency="monthly")
    bill(date(2026, 6, 1))
    for invoice in Invoice.objects.all():
        issue_invoice(invoice=invoice, actor=None)
    logged_in(client, OS)
    # 17: the commitments and credits card (billing.usage) adds one query.
    with django_assert_max_num_queries(17):
        client.get(reverse("billing:account_detail", args=[account.pk]))
