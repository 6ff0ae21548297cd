"""Billing in the admin: issued documents are read-only, buttons call the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from billing.models import (
    BillingRun,
    BillingRunException,
    CreditNote,
    Invoice,
    ScheduleLineStatus,
    TaxRate,
    UsageRecord,
)
from billing.services import execute_billing_run, issue_invoice, queue_billing_run, void_invoice
from ordermgmt import roles
from ordermgmt.models import Contract, RevenueType
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    UserFactory,
    active_contract,
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


def bill(run_date=date(2026, 1, 1)) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=None)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def draft_invoice(**terms) -> Invoice:
    contract = active_contract(**terms)
    bill()
    return Invoice.objects.get(contract=contract)


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def change_url(invoice):
    return reverse("admin:billing_invoice_change", args=[invoice.pk])


def action_url(invoice, action):
    return reverse("admin:billing_invoice_action", args=[invoice.pk, action])


def change_form_data(invoice, **overrides):
    data = {
        "po_number": invoice.po_number,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": invoice.due_date.isoformat(),
        "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0",
        "credit_notes-TOTAL_FORMS": "0",
        "credit_notes-INITIAL_FORMS": "0",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_an_issued_invoice_opens_read_only_and_refuses_a_posted_change(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, OS)
    page = client.get(change_url(invoice))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and 'name="po_number"' not in html
    response = client.post(change_url(invoice), change_form_data(invoice, po_number="HACKED"))
    assert response.status_code == 403
    after = Invoice.objects.get(pk=invoice.pk)
    assert (after.po_number, after.total_amount, after.number) == (
        "",
        Decimal("12000.00"),
        invoice.number,
    )


def test_a_draft_invoice_can_have_its_po_number_changed(client):
    invoice = draft_invoice()
    user = as_role(client, OS)
    response = client.post(change_url(invoice), change_form_data(invoice, po_number="PO-1234"))
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.po_number == "PO-1234"
    assert invoice.history.latest().history_user == user


def test_a_draft_s_amounts_are_not_editable_in_the_admin(client):
    invoice = draft_invoice()
    as_role(client, OS)
    html = client.get(change_url(invoice)).content.decode()
    assert 'name="po_number"' in html
    assert 'name="total_amount"' not in html and 'name="number"' not in html


@pytest.mark.parametrize("issued", [False, True])
def test_invoices_are_never_deleted_in_the_admin(client, issued):
    invoice = draft_invoice()
    if issued:
        invoice = issue_invoice(invoice=invoice, actor=None)
    as_role(client, ADM)
    url = reverse("admin:billing_invoice_delete", args=[invoice.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_the_issue_button_issues_through_the_service(client):
    invoice = draft_invoice()
    as_role(client, OS)
    html = client.get(change_url(invoice)).content.decode()
    assert action_url(invoice, "issue") in html
    assert client.get(action_url(invoice, "issue")).status_code == 200
    response = client.post(action_url(invoice, "issue"), follow=True)
    invoice.refresh_from_db()
    assert invoice.number == "INV-2026-000001"
    assert "Issued INV-2026-000001." in response.content.decode()


def test_issuing_twice_in_the_admin_shows_the_error_as_a_message(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, OS)
    response = client.post(action_url(invoice, "issue"), follow=True)
    assert "cannot move from issued to issued" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "action"),
    [(FIN, "issue"), (DD, "void"), (AUD, "credit"), (DD, "issue"), (FIN, "correct")],
)
def test_admin_buttons_need_their_permission(client, role, action):
    invoice = draft_invoice()
    as_role(client, role)
    assert client.post(action_url(invoice, action)).status_code == 403
    assert Invoice.objects.get(pk=invoice.pk).status == "draft"


def test_the_void_button_needs_a_reason(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, FIN)
    refused = client.post(action_url(invoice, "void"), {"reason": ""})
    assert refused.status_code == 200 and "Give a reason." in refused.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    done = client.post(action_url(invoice, "void"), {"reason": "Billed twice"})
    assert done.url == change_url(invoice)
    invoice.refresh_from_db()
    assert invoice.status == "void"
    assert CreditNote.objects.get(invoice=invoice).reason == "Void: Billed twice"


def test_the_credit_note_button_credits_an_amount_with_a_reason(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    user = as_role(client, FIN)
    client.post(action_url(invoice, "credit"), {"amount": "250.00", "reason": "SLA breach"})
    note = CreditNote.objects.get(invoice=invoice)
    assert (note.total_amount, note.reason, note.created_by) == (
        Decimal("250.00"),
        "SLA breach",
        user,
    )
    too_much = client.post(action_url(invoice, "credit"), {"amount": "99999", "reason": "x"})
    assert "exceeds" in too_much.content.decode()
    assert CreditNote.objects.count() == 1


def test_the_correct_button_opens_the_new_draft(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    void_invoice(invoice=invoice, actor=None, reason="wrong address")
    as_role(client, OS)
    html = client.get(change_url(invoice)).content.decode()
    assert action_url(invoice, "correct") in html and action_url(invoice, "void") not in html
    response = client.post(action_url(invoice, "correct"))
    correction = Invoice.objects.get(replaces=invoice)
    assert response.url == change_url(correction)


def test_discarding_a_draft_gives_its_schedule_lines_back(client):
    invoice = draft_invoice()
    schedule_line = invoice.lines.get().schedule_line
    as_role(client, OS)
    client.post(action_url(invoice, "discard"))
    invoice.refresh_from_db()
    schedule_line.refresh_from_db()
    assert invoice.status == "void" and invoice.number is None
    assert schedule_line.status == ScheduleLineStatus.PENDING


def test_the_bulk_action_issues_the_selected_drafts(client):
    first, second = draft_invoice(), draft_invoice()
    already = issue_invoice(invoice=draft_invoice(), actor=None)
    as_role(client, OS)
    response = client.post(
        reverse("admin:billing_invoice_changelist"),
        {"action": "issue_selected", "_selected_action": [first.pk, second.pk, already.pk]},
        follow=True,
    )
    numbers = set(Invoice.objects.values_list("number", flat=True))
    assert numbers == {"INV-2026-000001", "INV-2026-000002", "INV-2026-000003"}
    assert "1 selected invoice(s) were not drafts." in response.content.decode()


def test_finance_does_not_get_the_bulk_issue_action(client):
    draft_invoice()
    as_role(client, FIN)
    html = client.get(reverse("admin:billing_invoice_changelist")).content.decode()
    assert "issue_selected" not in html


def test_the_invoice_changelist_filters_and_searches(client):
    invoice = issue_invoice(invoice=draft_invoice(po_number="PO-55"), actor=None)
    draft_invoice()
    as_role(client, AUD)
    url = reverse("admin:billing_invoice_changelist")
    assert client.get(url, {"status__exact": "issued"}).context["cl"].result_count == 1
    assert client.get(url, {"q": "PO-55"}).context["cl"].result_count == 1
    page = client.get(url).content.decode()
    assert invoice.number in page and "$12,000.00" in page and "DRAFT #" in page


def test_credit_notes_and_number_series_are_read_only(client):
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    note = void_invoice(invoice=invoice, actor=None, reason="r")
    as_role(client, ADM)
    url = reverse("admin:billing_creditnote_change", args=[note.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "changed"}).status_code == 403
    assert client.get(reverse("admin:billing_creditnote_add")).status_code == 403
    assert client.get(reverse("admin:billing_numberseries_add")).status_code == 403


def test_a_run_exception_is_marked_resolved_from_the_admin(client):
    contract = active_contract()
    Contract.objects.filter(pk=contract.pk).update(billing_hold=True)
    bill()
    exception = BillingRunException.objects.get()
    user = as_role(client, OS)
    url = reverse("admin:billing_billingrunexception_changelist")
    chosen = {"action": "mark_resolved", "_selected_action": [exception.pk]}
    asked = client.post(url, chosen)  # first the note is asked for
    assert asked.status_code == 200 and "resolution_note" in asked.content.decode()
    refused = client.post(url, {**chosen, "confirm": "1", "resolution_note": " "})
    assert refused.status_code == 200
    exception.refresh_from_db()
    assert not exception.resolved
    done = client.post(url, {**chosen, "confirm": "1", "resolution_note": "Hold lifted."})
    assert done.status_code == 302
    exception.refresh_from_db()
    assert exception.resolved and exception.resolution_note == "Hold lifted."
    assert exception.resolved_by_id == user.pk and exception.resolved_at is not None


def test_the_admin_form_cannot_resolve_an_exception_by_editing_it(client):
    contract = active_contract()
    Contract.objects.filter(pk=contract.pk).update(billing_hold=True)
    bill()
    exception = BillingRunException.objects.get()
    as_role(client, OS)
    url = reverse("admin:billing_billingrunexception_change", args=[exception.pk])
    client.post(url, {"resolved": "on", "resolution_note": "sneaky"})
    exception.refresh_from_db()
    assert not exception.resolved and exception.resolution_note == ""


def test_usage_is_recorded_in_the_admin_through_the_service(client):
    api_calls = ProductFactory(revenue_type=RevenueType.USAGE)
    contract = active_contract(
        billing_frequency="monthly",
        lines=[line_input(api_calls, quantity=Decimal(0), unit_price=Decimal("0.40"))],
    )
    as_role(client, OS)
    url = reverse("admin:billing_usagerecord_add")
    data = {
        "contract_line": contract.lines.get().pk,
        "usage_date": "2030-01-01",
        "quantity": "12",
        "reference": "evt-9",
    }
    refused = client.post(url, data)
    assert "outside the contract term" in refused.content.decode()
    client.post(url, {**data, "usage_date": "2026-01-05"})
    assert UsageRecord.objects.get().quantity == Decimal(12)
    record = UsageRecord.objects.get()
    change = reverse("admin:billing_usagerecord_change", args=[record.pk])
    assert client.post(change, {**data, "quantity": "99"}).status_code == 403


def test_a_view_only_role_cannot_revert_a_tax_rate_from_its_history(client):
    rate = TaxRateFactory(percent=Decimal("5"))
    rate.percent = Decimal("6")
    rate.save()
    first_version = rate.history.earliest()
    as_role(client, AUD)
    url = reverse("admin:billing_taxrate_simple_history", args=[rate.pk, first_version.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "country": "US",
            "region": "",
            "name": "Sales tax",
            "percent": "5",
            "effective_from": "2000-01-01",
        },
    )
    assert response.status_code == 403
    assert TaxRate.objects.get(pk=rate.pk).percent == Decimal("6")


def test_every_billing_changelist_opens(client):
    active_contract()
    invoice = issue_invoice(invoice=draft_invoice(), actor=None)
    void_invoice(invoice=invoice, actor=None, reason="r")
    as_role(client, ADM)
    models = [m for m in admin.site._registry if m._meta.app_label == "billing"]
    assert len(models) >= 12
    for model in models:
        url = reverse(f"admin:billing_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
    run = BillingRun.objects.first()
    page = client.get(reverse("admin:billing_billingrun_change", args=[run.pk])).content.decode()
    assert reverse("billing:run_detail", args=[run.pk]) in page
