"""Billing runs and usage over the REST API."""

from decimal import Decimal

import pytest

from billing.models import BillingRun, Invoice, UsageRecord
from ordermgmt import roles
from ordermgmt.models import Contract, RevenueType
from tests.billing.api_helpers import ADM, AUD, DD, FIN, OS, as_role, post
from tests.factories import (
    ProductFactory,
    active_contract,
    line_input,
)

pytestmark = pytest.mark.django_db


# --- Billing runs -----------------------------------------------------------------------------


def test_a_billing_run_is_created_queued_and_reports_its_summary(
    client, django_capture_on_commit_callbacks
):
    active_contract()
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    as_role(client, OS)
    with django_capture_on_commit_callbacks() as queued:
        response = post(client, "/api/v1/billing-runs/", {"run_date": "2026-01-01"})
    assert response.status_code == 201
    assert response.json()["status"] == "queued" and len(queued) == 1
    queued[0]()  # the worker picks it up (eager here)
    body = client.get(f"/api/v1/billing-runs/{response.json()['id']}/").json()
    assert (body["status"], body["invoices_created"], body["progress_percent"]) == (
        "completed",
        1,
        100,
    )
    assert body["totals"] == {
        "by_currency": {"USD": {"invoices": 1, "total": "12000.00"}},
        "skipped": {"billing_hold": 1},
    }
    (exception,) = body["exceptions"]
    assert (exception["contract"], exception["reason"], exception["resolved"]) == (
        on_hold.pk,
        "billing_hold",
        False,
    )


def test_a_dry_run_returns_its_preview(client, django_capture_on_commit_callbacks):
    contract = active_contract()
    as_role(client, OS)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client, "/api/v1/billing-runs/", {"run_date": "2026-01-01", "dry_run": True}
        )
    run = client.get(f"/api/v1/billing-runs/{response.json()['id']}/").json()
    assert run["dry_run"] and Invoice.objects.count() == 0
    (row,) = run["preview"]
    assert (row["reference"], row["total"]) == (contract.reference, "12000.00")
    assert run["changes_since_last_preview"] == {"previous_preview": None}
    listed = client.get("/api/v1/billing-runs/", {"dry_run": True}).json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]


def test_a_billing_run_with_bad_input_is_a_400(client):
    active_contract()
    as_role(client, OS)
    too_far = post(client, "/api/v1/billing-runs/", {"run_date": "2099-01-01"})
    assert (too_far.json()["field"], too_far.json()["code"]) == ("run_date", "too_far_ahead")
    missing = post(client, "/api/v1/billing-runs/", {})
    assert missing.status_code == 400 and missing.json()["field"] == "run_date"
    assert not BillingRun.objects.exists()


def test_a_billing_run_without_a_legal_entity_is_refused_before_it_is_queued(client):
    as_role(client, OS)
    response = post(client, "/api/v1/billing-runs/", {"run_date": "2026-01-01"})
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "legal_entity",
        "no_legal_entity",
    )
    assert not BillingRun.objects.exists()


@pytest.mark.parametrize("role", roles.ROLES)
def test_billing_runs_check_the_role(client, role):
    active_contract()
    as_role(client, role)
    readers = {OS, FIN, AUD, ADM}
    assert client.get("/api/v1/billing-runs/").status_code == (200 if role in readers else 403)
    response = post(client, "/api/v1/billing-runs/", {"run_date": "2026-01-01", "dry_run": True})
    assert response.status_code == (201 if role in {OS, ADM} else 403)


# --- Usage --------------------------------------------------------------------------------------


def usage_line():
    api_calls = ProductFactory(revenue_type=RevenueType.USAGE)
    contract = active_contract(
        billing_frequency="monthly",
        lines=[line_input(api_calls, quantity=Decimal(0), unit_price=Decimal("0.40"))],
    )
    return contract.lines.get()


def test_usage_is_recorded_once_per_reference(client):
    line = usage_line()
    as_role(client, OS)
    payload = {
        "contract_line": line.pk,
        "usage_date": "2026-01-10",
        "quantity": "1500.5",
        "reference": "evt-1",
    }
    first = post(client, "/api/v1/usage-records/", payload)
    assert first.status_code == 201 and first.json()["quantity"] == "1500.5000"
    again = post(client, "/api/v1/usage-records/", payload)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    reused = post(client, "/api/v1/usage-records/", {**payload, "quantity": "2"})
    assert (reused.status_code, reused.json()["code"]) == (400, "reference_reused")
    assert UsageRecord.objects.count() == 1
    listed = client.get("/api/v1/usage-records/", {"contract": line.contract_id}).json()
    assert listed["count"] == 1


def test_usage_on_a_line_not_priced_by_usage_is_a_400(client):
    contract = active_contract()
    as_role(client, OS)
    response = post(
        client,
        "/api/v1/usage-records/",
        {
            "contract_line": contract.lines.get().pk,
            "usage_date": "2026-01-10",
            "quantity": "1",
            "reference": "evt-2",
        },
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "contract_line",
        "not_usage_priced",
    )


@pytest.mark.parametrize("role", [DD, FIN, AUD])
def test_only_specialists_and_admins_record_usage(client, role):
    line = usage_line()
    as_role(client, role)
    response = post(
        client,
        "/api/v1/usage-records/",
        {"contract_line": line.pk, "usage_date": "2026-01-10", "quantity": "1", "reference": "e"},
    )
    assert response.status_code == 403
