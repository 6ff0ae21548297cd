"""The billing run pages: preview, run, progress and exceptions."""

from datetime import date

import pytest
from django.urls import reverse

from billing.models import BillingRun, BillingRunException, Invoice
from billing.services import (
    execute_billing_run,
    queue_billing_run,
)
from ordermgmt.models import Contract
from tests.billing.page_helpers import AUD, DD, FIN, OS, bill, logged_in, text
from tests.factories import (
    AccountFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
)

pytestmark = pytest.mark.django_db


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
