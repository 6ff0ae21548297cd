"""JSON lines read by the database (`ingest_usage_jsonl`) give the report and the events
that Python's reading of the same lines gives, line numbers included."""

import json
import sys
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from billing.usage.models import DailyUsage, UsageEvent
from billing.usage.parsers import jsonl_events
from billing.usage.services.ingestion import ingest_usage_events, ingest_usage_jsonl
from billing.usage.services.ingestion_jsonl import WHITESPACE, plain_json_lines
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db


def odd_lines(reference: str) -> list[str]:
    """Lines Python and PostgreSQL read alike, and lines only Python reads as it does."""

    def event(event_id, **changes):
        values = {
            "event_id": event_id,
            "contract": reference,
            "metric": "api-calls",
            "quantity": "2",
            "timestamp": "2026-01-05T10:00:00Z",
        }
        values.update(changes)
        return json.dumps({k: v for k, v in values.items() if v is not ...})

    return [
        event("plain"),
        "",
        "   \t",
        event("int", quantity=7),
        event("padded\u3000", metric="\u00a0api-calls "),
        event("nulls", customer=None),
        event("absent", customer=...),
        event("fraction", quantity=1.50),  # Python reads 1.5
        event("exponent", quantity=1e2),  # json.dumps writes 100.0
        '{"event_id": "exp-int", "contract": "REF", "metric": "api-calls", '
        '"quantity": 2E1, "timestamp": "2026-01-05T10:00:00Z"}'.replace("REF", reference),
        event("negative", quantity=-3),
        event("boolean", quantity=True),
        event("nested", quantity={"n": 1}),
        event(17, quantity=3),  # a numeric id
        '{"event_id": "twice", "event_id": "last-wins", "contract": "REF", '
        '"metric": "api-calls", "quantity": 1, "timestamp": "2026-01-06T00:00:00Z"}'.replace(
            "REF", reference
        ),
        '{"event_id": "nan", "contract": "REF", "metric": "api-calls", "quantity": NaN, '
        '"timestamp": "2026-01-05T10:00:00Z"}'.replace("REF", reference),  # Python's json takes NaN
        "[1, 2]",
        '"a string"',
        "{not json",
        event("last"),
    ]


def report(batch):
    return (batch.received, batch.accepted, batch.rejected, batch.refused, batch.rejections)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads the lines")
def test_json_lines_read_by_the_database_get_the_report_python_gives():
    contract = usage_contract()
    data = ("\n".join(odd_lines(contract.reference)) + "\n").encode()
    assert plain_json_lines(data)

    by_database = ingest_usage_jsonl(data=data, source="test")
    lines = data.decode().splitlines(keepends=True)
    by_python = ingest_usage_events(events=jsonl_events(lines), source="test")

    assert report(by_database) == report(by_python)
    assert by_database.refused and not UsageEvent.objects.exists()
    assert {r["line"]: r["code"] for r in by_database.rejections} == {
        11: "negative_quantity",
        12: "not_a_number",
        13: "not_a_number",
        16: "not_a_number",
        17: "invalid",
        18: "invalid",
        19: "invalid",
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads the lines")
def test_lines_all_json_to_postgresql_are_read_in_one_pass_with_python_s_report():
    contract = usage_contract()
    kept = [line for line in odd_lines(contract.reference) if "not json" not in line]
    kept = [line for line in kept if "NaN" not in line]  # no guarded second reading
    data = ("\n".join(kept) + "\n").encode()

    by_database = ingest_usage_jsonl(data=data, source="test")
    lines = data.decode().splitlines(keepends=True)
    by_python = ingest_usage_events(events=jsonl_events(lines), source="test")

    assert report(by_database) == report(by_python)
    assert [r["code"] for r in by_database.rejections] == [
        "negative_quantity",
        "not_a_number",
        "not_a_number",
        "invalid",
        "invalid",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL reads the lines")
def test_json_lines_read_by_the_database_store_what_python_would_store():
    contract = usage_contract()
    data = ("\n".join(odd_lines(contract.reference)) + "\n").encode()

    batch = ingest_usage_jsonl(data=data, source="test", accept_valid=True)

    assert (batch.received, batch.accepted, batch.rejected) == (18, 11, 7)
    stored = dict(UsageEvent.objects.values_list("event_id", "quantity"))
    assert stored == {
        "plain": Decimal(2),
        "int": Decimal(7),
        "padded": Decimal(2),
        "nulls": Decimal(2),
        "absent": Decimal(2),
        "fraction": Decimal("1.5"),
        "exponent": Decimal(100),
        "exp-int": Decimal(20),
        "17": Decimal(3),
        "last-wins": Decimal(1),
        "last": Decimal(2),
    }
    assert DailyUsage.objects.get(contract=contract, usage_date="2026-01-05").events == 10


def test_a_line_that_is_not_json_is_reported_by_its_number_and_nothing_is_written(tmp_path, capsys):
    contract = usage_contract()
    good = {
        "event_id": "g1",
        "contract": contract.reference,
        "metric": "api-calls",
        "quantity": 4,
        "timestamp": "2026-01-03T10:00:00Z",
    }
    path = tmp_path / "usage.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + '{"event_id": "g2", "quantity": 4,\n')

    with pytest.raises(CommandError):
        call_command("ingest_usage", str(path))

    rejection = json.loads(capsys.readouterr().out.splitlines()[1])
    assert (rejection["line"], rejection["field"], rejection["code"]) == (3, "event_id", "invalid")
    assert not UsageEvent.objects.exists() and not DailyUsage.objects.exists()


def test_a_file_with_carriage_returns_is_read_by_python_with_the_same_line_numbers():
    contract = usage_contract()
    good = json.dumps(
        {
            "event_id": "cr",
            "contract": contract.reference,
            "metric": "api-calls",
            "quantity": 4,
            "timestamp": "2026-01-03T10:00:00Z",
        }
    )
    data = f"{good}\r\nnot json\rlast\n".encode()
    assert not plain_json_lines(data)

    batch = ingest_usage_jsonl(data=data, source="test")

    assert [r["line"] for r in batch.rejections] == [2, 3]
    assert batch.refused and not UsageEvent.objects.exists()


def test_the_whitespace_stripped_is_what_str_strip_strips():
    assert set(WHITESPACE) == {c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()}
