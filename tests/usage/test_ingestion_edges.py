"""The command (CSV, JSON lines) and the API reach the same ingestion service."""

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from billing.usage.models import DailyUsage, UsageEvent
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db


def test_the_command_ingests_a_csv_file_and_reports_by_file_line(tmp_path, capsys):
    contract = usage_contract()
    path = tmp_path / "usage.csv"
    path.write_text(
        "event_id,customer,contract,metric,quantity,timestamp\n"
        f"a,,{contract.reference},api-calls,5,2026-01-03T10:00:00Z\n"
        f"b,,{contract.reference},api-calls,-5,2026-01-03T10:00:00Z\n"
    )
    with pytest.raises(CommandError):
        call_command("ingest_usage", str(path))
    out = capsys.readouterr().out
    assert json.loads(out.splitlines()[1])["line"] == 3  # the header is line 1
    assert not UsageEvent.objects.exists()
    call_command("ingest_usage", str(path), "--accept-valid")
    assert DailyUsage.objects.get(contract=contract).quantity == Decimal(5)


def test_the_command_ingests_json_lines(tmp_path):
    contract = usage_contract()
    path = tmp_path / "usage.jsonl"
    rows = [
        {
            "event_id": f"j{i}",
            "contract": contract.reference,
            "metric": "api-calls",
            "quantity": "1.5",
            "timestamp": "2026-02-01T00:00:00Z",
        }
        for i in range(3)
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    call_command("ingest_usage", str(path))
    assert DailyUsage.objects.get(contract=contract).quantity == Decimal("4.5")


def test_the_api_answers_201_with_the_report_or_400_naming_the_rejected_events(specialist):
    contract = usage_contract()
    client = APIClient()
    client.force_authenticate(specialist)
    good = {
        "event_id": "x1",
        "contract": contract.reference,
        "metric": "api-calls",
        "quantity": "3",
        "timestamp": "2026-01-05T00:00:00Z",
    }
    bad = dict(good, event_id="x2", quantity="-3")
    refused = client.post("/api/v1/usage/events/", {"events": [good, bad]}, format="json")
    assert refused.status_code == 400
    assert (refused.data["field"], refused.data["code"]) == ("events", "rejected_events")
    assert refused.data["batch"]["rejections"][0]["line"] == 2
    assert not UsageEvent.objects.exists()
    created = client.post("/api/v1/usage/events/", {"events": [good]}, format="json")
    assert (created.status_code, created.data["accepted"]) == (201, 1)
    listed = client.get("/api/v1/usage/batches/")
    assert listed.status_code == 200


def test_the_api_refuses_a_user_without_the_ingestion_permission(deal_desk):
    client = APIClient()
    client.force_authenticate(deal_desk)
    response = client.post("/api/v1/usage/events/", {"events": [{}]}, format="json")
    assert response.status_code == 403
