"""CSV files through `ingest_usage_csv`: on PostgreSQL a plain file is split by the
database as sent; anything else is parsed in Python. Both give the same report."""

from decimal import Decimal

import pytest

from billing.usage.models import DailyUsage, UsageEvent
from billing.usage.parsers import plain_csv_header
from billing.usage.services.ingestion import ingest_usage_csv
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db

HEADER = "event_id,customer,contract,metric,quantity,timestamp\n"


def csv_file(contract, rows, header=HEADER):
    lines = [
        f"{event_id},,{contract.reference},api-calls,{quantity},{timestamp}"
        for event_id, quantity, timestamp in rows
    ]
    return (header + "\n".join(lines) + "\n").encode()


def report(batch):
    return [(r["line"], r["event_id"], r["field"], r["code"]) for r in batch.rejections]


def test_a_plain_file_and_a_quoted_one_get_the_same_report_by_file_line():
    contract = usage_contract()
    rows = [
        ("a", "5", "2026-01-03T10:00:00Z"),
        ("b", "-5", "2026-01-03T10:00:00Z"),
        ("c", "1", "2026-01-03T24:00:00Z"),
        ("a", "6", "2026-01-03T10:00:00Z"),
        ("d", "2", "2027-05-01T00:00:00Z"),
    ]
    plain = csv_file(contract, rows)
    quoted = plain.replace(b",api-calls,", b',"api-calls",')
    assert plain_csv_header(plain) is not None and plain_csv_header(quoted) is None
    by_database = ingest_usage_csv(data=plain, source="test")
    by_python = ingest_usage_csv(data=quoted, source="test")
    expected = [
        (3, "b", "quantity", "negative_quantity"),
        (4, "c", "timestamp", "invalid"),
        (5, "a", "event_id", "duplicate_different_payload"),
        (6, "d", "timestamp", "outside_term"),
    ]
    assert report(by_database) == report(by_python) == expected
    assert by_database.refused and not UsageEvent.objects.exists()


def test_a_row_of_the_wrong_width_is_reported_by_its_line_and_nothing_is_written():
    contract = usage_contract()
    data = csv_file(contract, [("a", "5", "2026-01-03T10:00:00Z")]) + b"b,,short\n"
    batch = ingest_usage_csv(data=data, source="test")
    assert report(batch) == [(3, "", "event_id", "invalid")]
    assert batch.refused and not UsageEvent.objects.exists()
    assert not DailyUsage.objects.exists()


def test_columns_are_taken_by_the_header_names_in_any_order():
    contract = usage_contract()
    data = (
        "timestamp,quantity,metric,contract,customer,event_id\n"
        f"2026-01-04T01:00:00Z,2.5,api-calls,{contract.reference},,x1\n"
        f"2026-01-04T02:00:00Z,1,api-calls,{contract.reference},,x2\n"
    ).encode()
    batch = ingest_usage_csv(data=data, source="test")
    assert (batch.accepted, batch.rejected) == (2, 0)
    assert DailyUsage.objects.get(contract=contract).quantity == Decimal("3.5")


def test_an_id_repeated_in_another_month_of_the_batch_is_still_a_repeat():
    contract = usage_contract()
    data = csv_file(
        contract,
        [
            ("m", "1", "2026-01-31T23:00:00Z"),
            ("m", "1", "2026-02-01T01:00:00Z"),  # same id, another instant and month
            ("n", "4", "2026-02-02T00:00:00Z"),
            ("n", "4", "2026-02-02T00:00:00Z"),  # the same event sent twice
        ],
    )
    batch = ingest_usage_csv(data=data, source="test", accept_valid=True)
    assert report(batch) == [(3, "m", "event_id", "duplicate_different_payload")]
    assert (batch.accepted, batch.duplicates) == (2, 1)
    assert sorted(UsageEvent.objects.values_list("event_id", flat=True)) == ["m", "n"]
