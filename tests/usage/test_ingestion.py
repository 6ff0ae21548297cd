"""Usage ingestion: idempotent by event id, rejected events reported by line and reason,
nothing written from a batch with rejections (unless the sender asks for the valid ones)."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from billing.usage.models import DailyUsage, UsageBatch, UsageEvent
from billing.usage.parsers import body_events
from billing.usage.services.ingestion import ingest_usage_events
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db


def event(on, event_id, quantity="10", timestamp="2026-01-10T12:00:00Z", **kw):
    values = {
        "event_id": event_id,
        "contract": on.reference,
        "metric": "api-calls",
        "quantity": quantity,
        "timestamp": timestamp,
    }
    values.update(kw)
    return values


def ingest(events, accept_valid=False):
    return ingest_usage_events(
        events=list(body_events(events)), source="test", accept_valid=accept_valid
    )


def rollups(contract):
    return {
        (r.usage_date, r.quantity, r.events)
        for r in DailyUsage.objects.filter(contract=contract, metric="api-calls")
    }


def test_events_are_stored_raw_and_rolled_up_per_day():
    contract = usage_contract()
    batch = ingest(
        [
            event(contract, "e1", "10"),
            event(contract, "e2", "2.5", timestamp="2026-01-10T23:59:59+00:00"),
            # 01:00 in Berlin on the 11th is still the 10th in UTC: rollups are UTC days.
            event(contract, "e3", "1", timestamp="2026-01-11T00:30:00+01:00"),
            event(contract, "e4", "4", timestamp="2026-01-11T08:00:00"),
        ]
    )
    assert (batch.accepted, batch.rejected, batch.refused) == (4, 0, False)
    assert UsageEvent.objects.filter(batch=batch).count() == 4
    assert rollups(contract) == {
        (date(2026, 1, 10), Decimal("13.5"), 3),
        (date(2026, 1, 11), Decimal("4"), 1),
    }


def test_a_batch_sent_twice_is_counted_once():
    contract = usage_contract()
    events = [event(contract, "e1", "10"), event(contract, "e2", "5")]
    ingest(events)
    again = ingest(events + [event(contract, "e1", "10")])  # and a repeat inside the batch
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 0)
    assert rollups(contract) == {(date(2026, 1, 10), Decimal("15"), 2)}


def test_bad_events_are_reported_by_line_and_reason_and_nothing_is_written():
    contract = usage_contract()
    ingest([event(contract, "seen", "1")])
    before = (UsageEvent.objects.count(), rollups(contract))
    batch = ingest(
        [
            event(contract, "ok-1"),
            event(contract, "bad-ref", contract="C-NOPE"),
            event(contract, "bad-customer", contract="", customer="001NOPE"),
            event(contract, "negative", quantity="-1"),
            event(contract, "outside", timestamp="2027-03-01T00:00:00Z"),
            event(contract, "seen", quantity="2"),  # ingested before as 1
            event(contract, "ok-1", quantity="3"),  # line 1 had it with 10
            event(contract, "no-price", metric="tokens"),
            event(contract, "bad-time", timestamp="yesterday"),
        ]
    )
    assert batch.refused
    assert [(r["line"], r["field"], r["code"]) for r in batch.rejections] == [
        (2, "contract", "unknown_contract"),
        (3, "customer", "unknown_customer"),
        (4, "quantity", "negative_quantity"),
        (5, "timestamp", "outside_term"),
        (6, "event_id", "duplicate_different_payload"),
        (7, "event_id", "duplicate_different_payload"),
        (8, "metric", "unknown_metric"),
        (9, "timestamp", "invalid"),
    ]
    assert (batch.accepted, batch.rejected) == (0, 8)
    assert (UsageEvent.objects.count(), rollups(contract)) == before
    assert UsageBatch.objects.get(pk=batch.pk).rejections == batch.rejections


def test_a_replay_with_another_payload_keeps_the_whole_batch_out():
    contract = usage_contract()
    ingest([event(contract, "seen", "1")])
    batch = ingest([event(contract, "new", "7"), event(contract, "seen", "2")])
    # The check against earlier batches runs in the database after the insert: the
    # insert of "new" is rolled back with the rest.
    assert batch.refused and batch.rejections[0]["line"] == 2
    assert not UsageEvent.objects.filter(event_id="new").exists()
    assert rollups(contract) == {(date(2026, 1, 10), Decimal("1"), 1)}


def test_accept_valid_writes_the_good_events_and_reports_the_bad():
    contract = usage_contract()
    batch = ingest([event(contract, "ok", "10"), event(contract, "neg", "-4")], accept_valid=True)
    assert (batch.accepted, batch.rejected, batch.refused) == (1, 1, False)
    assert rollups(contract) == {(date(2026, 1, 10), Decimal("10"), 1)}


def test_events_for_a_customer_reach_its_contract_priced_for_the_metric(settings):
    contract = usage_contract()
    contract.account.salesforce_id = "001ACME"
    contract.account.save()
    batch = ingest([event(contract, "c1", contract="", customer="001ACME")])
    assert batch.accepted == 1
    assert UsageEvent.objects.get(event_id="c1").contract_id == contract.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")
def test_each_month_of_events_lives_in_its_own_partition():
    contract = usage_contract()
    ingest([event(contract, "jan"), event(contract, "feb", timestamp="2026-02-02T00:00:00Z")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, event_id FROM usage_event ORDER BY 2")
        assert cursor.fetchall() == [
            ("usage_event_y2026m02", "feb"),
            ("usage_event_y2026m01", "jan"),
        ]


def test_a_day_that_does_not_exist_is_rejected_not_guessed():
    contract = usage_contract()
    batch = ingest([event(contract, "feb30", timestamp="2026-02-30T10:00:00Z")])
    assert [(r["field"], r["code"]) for r in batch.rejections] == [("timestamp", "invalid")]
    assert not UsageEvent.objects.exists()


def test_quantities_times_and_ids_are_checked_as_the_sender_wrote_them():
    contract = usage_contract()
    batch = ingest(
        [
            event(contract, "", quantity="1"),
            event(contract, "x" * 129),
            event(contract, "nan", quantity="NaN"),
            event(contract, "words", quantity="ten"),
            event(contract, "precise", quantity="0.0000001"),
            event(contract, "huge", quantity="1e18"),
            event(contract, "no-ref", contract="", customer=""),
            event(contract, "jan-32", timestamp="2026-01-32T00:00:00Z"),
            event(contract, "ok-naive", quantity="2.5", timestamp="2026-01-11T08:00:00"),
            # 23:30 on 31 Dec 2025 in New York is 04:30 UTC on 1 Jan 2026: inside the term.
            event(contract, "ok-offset", quantity="1e1", timestamp="2025-12-31T23:30:00-05:00"),
            event(contract, "ok-naive", quantity="2.5", timestamp="2026-01-11T08:00:00"),
            event(contract, "feb-29", timestamp="2026-02-29T10:00:00Z"),  # 2026 is no leap year
            event(contract, "hour-24", timestamp="2026-01-05T24:00:00Z"),
            event(contract, "ok-31", quantity="4", timestamp="2026-01-31T23:59:59Z"),
        ],
        accept_valid=True,
    )
    assert [(r["line"], r["field"], r["code"]) for r in batch.rejections] == [
        (1, "event_id", "invalid"),
        (2, "event_id", "invalid"),
        (3, "quantity", "not_a_number"),
        (4, "quantity", "not_a_number"),
        (5, "quantity", "too_precise"),
        (6, "quantity", "too_precise"),
        (7, "customer", "required"),
        (8, "timestamp", "invalid"),
        (12, "timestamp", "invalid"),
        (13, "timestamp", "invalid"),
    ]
    assert (batch.received, batch.accepted, batch.duplicates) == (14, 3, 1)
    assert rollups(contract) == {
        (date(2026, 1, 31), Decimal("4"), 1),
        (date(2026, 1, 11), Decimal("2.5"), 1),
        (date(2026, 1, 1), Decimal("10"), 1),
    }
