"""JSON lines as the command reads them: each line parsed by Python's `json`, a line that
is not an object reported by its number, values read as the sender wrote them."""

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from billing.usage.models import DailyUsage, UsageEvent
from billing.usage.parsers import BAD, from_mapping
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db


def event(reference: str, event_id: str, **changes) -> dict:
    values = {
        "event_id": event_id,
        "contract": reference,
        "metric": "api-calls",
        "quantity": 4,
        "timestamp": "2026-01-03T10:00:00Z",
    }
    values.update(changes)
    return values


def test_a_line_that_is_not_json_is_reported_by_its_number_and_nothing_is_written(tmp_path, capsys):
    contract = usage_contract()
    path = tmp_path / "usage.jsonl"
    path.write_text(
        json.dumps(event(contract.reference, "g1"))
        + "\n\n"  # a blank line is counted, not sent
        + '{"event_id": "g2", "quantity": 4,\n'
        + "[1, 2]\n"
        + json.dumps(event(contract.reference, "g3"))
        + "\n"
    )

    with pytest.raises(CommandError):
        call_command("ingest_usage", str(path))

    lines = capsys.readouterr().out.splitlines()
    assert "4 received, 0 accepted" in lines[0] and "(nothing written)" in lines[0]
    rejections = [json.loads(line) for line in lines[1:]]
    assert [(r["line"], r["field"], r["code"]) for r in rejections] == [
        (3, "event_id", "invalid"),
        (4, "event_id", "invalid"),
    ]
    assert not UsageEvent.objects.exists() and not DailyUsage.objects.exists()


def test_json_values_are_read_as_python_prints_them_and_strings_are_stripped(tmp_path):
    contract = usage_contract()
    path = tmp_path / "usage.jsonl"
    rows = [
        event(contract.reference, " padded\u3000", metric="\u00a0api-calls "),
        event(contract.reference, "fraction", quantity=1.50),
        event(contract.reference, "absent", customer=None),
        event(contract.reference, 17, quantity=3),
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")

    call_command("ingest_usage", str(path))

    stored = dict(UsageEvent.objects.values_list("event_id", "quantity"))
    assert stored == {
        "padded": Decimal(4),
        "fraction": Decimal("1.5"),
        "absent": Decimal(4),
        "17": Decimal(3),
    }


def test_an_event_that_is_not_an_object_has_no_texts_and_other_values_print_as_python_does():
    assert from_mapping([1, 2]) == BAD
    assert from_mapping(None) == BAD
    mapping = {"event_id": True, "customer": None, "quantity": 1e2, "metric": {"a": 1}}
    assert from_mapping(mapping) == ("True", "", "", "{'a': 1}", "100.0", "")
