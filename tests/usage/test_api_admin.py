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
    }
    created = api(finance).post("/api/v1/usage/commitments/", body, format="json")
    assert created.status_code == 201 and created.data["priority"] == 30
    commitment = Commitment.objects.get()
    assert list(commitment.entries.values_list("kind", "amount")) == [
        (EntryKind.GRANT, Decimal("120000.00"))
    ]
    wrong = api(finance).post(
        "/api/v1/usage/commitments/", dict(body, payment_plan="free"), format="json"
    )
    assert (wrong.data["field"], wrong.data["code"]) == ("payment_plan", "plan_does_not_fit_kind")
    assert Commitment.objects.count() == 1


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
        },
    )
    assert response.status_code == 302, response.content[:2000]
    credit = Commitment.objects.get(name="Pilot credit")
    assert credit.entries.get().kind == EntryKind.GRANT
    assert credit.ends_on == date(2026, 3, 31)
