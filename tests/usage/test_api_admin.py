"""Rate cards and commitments through the API and the admin, by the same services."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from billing.usage.models import Commitment, EntryKind, UsagePrice
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_ramp_is_added_through_the_api_and_a_bad_tier_table_is_refused(specialist):
    contract = usage_contract()
    line = contract.lines.get()
    body = {
        "contract_line": line.pk,
        "metric": "api-calls",
        "pricing_model": "volume",
        "starts_on": "2026-07-01",
        "tiers": [{"up_to": "1000", "unit_price": "0.09"}, {"up_to": None, "unit_price": "0.07"}],
    }
    created = api(specialist).post("/api/v1/usage/prices/", body, format="json")
    assert created.status_code == 201 and created.data["currency"] == "USD"
    bad = dict(body, starts_on="2026-08-01", tiers=[{"up_to": "5", "unit_price": "1"}])
    refused = api(specialist).post("/api/v1/usage/prices/", bad, format="json")
    assert (refused.status_code, refused.data["field"], refused.data["code"]) == (
        400,
        "tiers",
        "last_tier_not_open",
    )
    assert UsagePrice.objects.filter(contract=contract).count() == 2


def test_a_commitment_granted_through_the_api_starts_its_ledger(finance):
    contract = usage_contract()
    body = {
        "contract": contract.pk,
        "kind": "prepaid_commit",
        "payment_plan": "installments",
        "name": "FY26 commit",
        "amount": "120000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "installment_every": "quarterly",
        "installment_count": 4,
    }
    created = api(finance).post("/api/v1/usage/commitments/", body, format="json")
    assert created.status_code == 201 and created.data["priority"] == 30
    assert [i["due_on"] for i in created.data["installments"]][-1] == "2026-10-01"
    commitment = Commitment.objects.get()
    assert list(commitment.entries.values_list("kind", "amount")) == [
        (EntryKind.GRANT, Decimal("120000.00"))
    ]
    assert commitment.installments.count() == 4
    wrong = api(finance).post(
        "/api/v1/usage/commitments/", dict(body, payment_plan="free"), format="json"
    )
    assert (wrong.data["field"], wrong.data["code"]) == ("payment_plan", "plan_does_not_fit_kind")
    assert Commitment.objects.count() == 1


def test_custom_installments_through_the_api_must_add_up_to_the_commitment(finance):
    contract = usage_contract()
    body = {
        "contract": contract.pk,
        "kind": "prepaid_commit",
        "payment_plan": "installments",
        "name": "FY26 commit",
        "amount": "120000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "installments": [
            {"due_on": "2026-01-15", "amount": "20000.00"},
            {"due_on": "2026-06-30", "amount": "90000.00"},
        ],
    }
    short = api(finance).post("/api/v1/usage/commitments/", body, format="json")
    assert short.status_code == 400
    assert (short.data["field"], short.data["code"]) == ("installments", "installments_do_not_sum")
    assert not Commitment.objects.exists()
    body["installments"][1]["amount"] = "100000.00"
    created = api(finance).post("/api/v1/usage/commitments/", body, format="json")
    assert created.status_code == 201
    assert [(i["number"], i["amount"]) for i in created.data["installments"]] == [
        (1, "20000.0000"),
        (2, "100000.0000"),
    ]


def test_the_admin_grants_a_credit_through_the_service(client, admin_user):
    contract = usage_contract()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:usage_commitment_add"),
        {
            "contract": contract.pk,
            "kind": "promotional_credit",
            "payment_plan": "free",
            "name": "Pilot credit",
            "amount": "500.00",
            "starts_on": "2026-01-01",
            "ends_on": "2026-03-31",
            "priority": "",
            "overage_percent": "100",
            "alert_thresholds": "[80, 100]",
            "entries-TOTAL_FORMS": "0",
            "entries-INITIAL_FORMS": "0",
            "installments-TOTAL_FORMS": "0",
            "installments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    credit = Commitment.objects.get(name="Pilot credit")
    assert credit.entries.get().kind == EntryKind.GRANT
    assert credit.ends_on == date(2026, 3, 31)


def test_the_admin_takes_custom_installments_and_names_the_field_when_they_do_not_fit(
    client, admin_user
):
    contract = usage_contract()
    client.force_login(admin_user)
    form = {
        "contract": contract.pk,
        "kind": "prepaid_commit",
        "payment_plan": "installments",
        "name": "FY26 commit",
        "amount": "120000.00",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "priority": "",
        "overage_percent": "100",
        "alert_thresholds": "[80, 100]",
        "installment_schedule": "2026-01-01 60000.00\n2027-01-01 60000.00",
        "entries-TOTAL_FORMS": "0",
        "entries-INITIAL_FORMS": "0",
        "installments-TOTAL_FORMS": "0",
        "installments-INITIAL_FORMS": "0",
    }
    refused = client.post(reverse("admin:usage_commitment_add"), form)
    assert refused.status_code == 200
    assert "installment_schedule" in refused.context["adminform"].form.errors
    assert not Commitment.objects.exists()
    form["installment_schedule"] = "2026-01-01 60000.00\n2026-07-01 60000.00"
    response = client.post(reverse("admin:usage_commitment_add"), form)
    assert response.status_code == 302, response.content[:2000]
    commitment = Commitment.objects.get()
    assert list(commitment.installments.values_list("due_on", flat=True)) == [
        date(2026, 1, 1),
        date(2026, 7, 1),
    ]
