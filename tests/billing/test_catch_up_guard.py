"""The back-billing guard: activating a contract that started in the past, or running
billing that bills more than one period of a contract at once, shows the catch-up and
needs confirmation (API flag, admin confirmation page, billing run page)."""

from datetime import date

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing.models import BillingRun, BillingScheduleLine
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles, services
from ordermgmt.models import Contract, ContractStatus
from tests.factories import (
    LegalEntityFactory,
    UserFactory,
    active_contract,
    billable_account,
    make_contract,
)

pytestmark = pytest.mark.django_db


def approved(**terms) -> Contract:
    LegalEntityFactory()
    contract = make_contract(account=billable_account(), **terms)
    contract = services.submit_contract(contract=contract, actor=None)
    if contract.status == ContractStatus.PENDING_REVIEW:  # a deal desk rule flagged a term
        contract = services.approve_contract(contract=contract, actor=None, comment="ok")
    assert contract.status == ContractStatus.APPROVED
    return contract


def as_specialist(client):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    return client


@freeze_time("2026-04-10 12:00")
def test_the_catch_up_preview_lists_the_past_periods_and_the_first_invoice(client):
    # Monthly from 1 January, 1,000.00 a month: by 10 April, January to April are due.
    contract = approved(billing_frequency="monthly")
    answer = as_specialist(client).get(f"/api/v1/contracts/{contract.pk}/catch-up-preview/")
    body = answer.json()
    assert answer.status_code == 200, body
    assert body["needs_confirmation"] is True and body["starts_in_past"] is True
    assert body["period_count"] == 4 and body["amount"] == "4000.00"
    assert [p["period_start"] for p in body["periods"]] == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    assert (body["first_invoice_date"], body["first_invoice_amount"]) == ("2026-04-10", "4000.00")


@freeze_time("2026-04-10 12:00")
def test_activating_a_past_contract_over_the_api_needs_the_confirmation_flag(client):
    contract = approved(billing_frequency="monthly")
    url = f"/api/v1/contracts/{contract.pk}/activate/"
    refused = as_specialist(client).post(url, {}, content_type="application/json")
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == (
        "confirm_catch_up",
        "catch_up_not_confirmed",
    )
    assert "$4,000.00" in refused.json()["message"]
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED
    assert not BillingScheduleLine.objects.filter(contract=contract).exists()

    done = client.post(url, {"confirm_catch_up": True}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "active"


@freeze_time("2026-04-10 12:00")
def test_a_contract_starting_later_activates_without_confirmation(client):
    contract = approved(
        billing_frequency="monthly", start_date=date(2026, 5, 1), end_date=date(2027, 4, 30)
    )
    preview = as_specialist(client).get(f"/api/v1/contracts/{contract.pk}/catch-up-preview/").json()
    assert preview["needs_confirmation"] is False and preview["periods"] == []
    assert (preview["first_invoice_date"], preview["first_invoice_amount"]) == (
        "2026-05-01",
        "1000.00",
    )
    answer = client.post(f"/api/v1/contracts/{contract.pk}/activate/")
    assert answer.status_code == 200 and answer.json()["status"] == "active"


@freeze_time("2026-04-10 12:00")
def test_the_admin_activation_page_shows_the_catch_up_and_requires_the_box(client):
    contract = approved(billing_frequency="monthly")
    url = reverse("admin:ordermgmt_contract_transition", args=[contract.pk, "activate"])
    page = as_specialist(client).get(url).content.decode()
    assert 'id="catch-up-warning"' in page and "$4,000.00" in page
    assert "10 Apr 2026" in page  # the first invoice date

    refused = client.post(url, {"confirm": "1"})
    assert refused.status_code == 200 and "confirm_catch_up" in refused.content.decode()
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.APPROVED
    client.post(url, {"confirm": "1", "confirm_catch_up": "on"})
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE


@freeze_time("2026-04-10 12:00")
def test_a_billing_run_of_several_periods_of_a_contract_needs_confirmation(client):
    contract = active_contract(billing_frequency="monthly")
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    refused = client.post(
        "/api/v1/billing-runs/", {"run_date": "2026-04-10"}, content_type="application/json"
    )
    assert (refused.json()["field"], refused.json()["code"]) == (
        "confirm_catch_up",
        "catch_up_not_confirmed",
    )
    assert contract.reference in refused.json()["message"]
    assert not BillingRun.objects.exists()
    preview = client.post(
        "/api/v1/billing-runs/",
        {"run_date": "2026-04-10", "dry_run": True},
        content_type="application/json",
    )
    assert preview.status_code == 201
    confirmed = client.post(
        "/api/v1/billing-runs/",
        {"run_date": "2026-04-10", "confirm_catch_up": True},
        content_type="application/json",
    )
    assert confirmed.status_code == 201


@freeze_time("2026-04-10 12:00")
def test_the_run_page_lists_the_catch_up_contracts_with_amounts_before_running(client):
    contract = active_contract(billing_frequency="monthly")
    as_specialist(client)
    answer = client.post(reverse("billing:run_list"), {"run_date": "2026-04-10", "mode": "run"})
    page = answer.content.decode()
    assert answer.status_code == 400 and 'id="catch-up-contracts"' in page
    assert contract.reference in page and "$4,000.00" in page
    assert not BillingRun.objects.exists()
    done = client.post(
        reverse("billing:run_list"),
        {"run_date": "2026-04-10", "mode": "run", "confirm_catch_up": "on"},
    )
    assert done.status_code == 302


@freeze_time("2026-04-10 12:00")
def test_a_preview_marks_catch_up_contracts_and_its_diff_shows_amounts(client):
    first = active_contract(billing_frequency="monthly")

    def preview():
        run = queue_billing_run(run_date=date(2026, 4, 10), actor=None, dry_run=True)
        return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))

    preview()
    second = active_contract(billing_frequency="monthly")
    again = preview()
    assert again.changes_since_last_preview["added_totals"] == [
        {"reference": second.reference, "currency": "USD", "total": "4000.00"}
    ]
    row = next(r for r in again.preview if r["reference"] == first.reference)
    assert row["periods"] == 4
    as_specialist(client)
    page = client.get(reverse("billing:run_detail", args=[again.pk])).content.decode()
    assert f"{second.reference}: $4,000.00" in page
    assert "Catch-up: 4 periods" in page
