"""Usage ingestion at volume: a full API batch with a few bad lines, and the two ways the
database judges a batch (casts kept when they print back as sent; every cast guarded by
the exact rules once a batch holds a text no cast reads) giving the same verdicts."""

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from rest_framework.test import APIClient

from billing.usage.models import DailyUsage, UsageBatch, UsageEvent
from billing.usage.parsers import body_events
from billing.usage.services.ingestion import ingest_usage_events
from tests.usage.factories import usage_contract

pytestmark = pytest.mark.django_db

N = 50_000  # the most one API request takes


def full_batch(by_contract, by_customer):
    """N events over January 2026: even lines name the contract (metric api-calls), odd
    ones the other contract's customer (metric tokens)."""
    events = []
    for index in range(N):
        events.append(
            {
                "event_id": f"e{index}",
                "contract": by_contract.reference if index % 2 == 0 else "",
                "customer": "" if index % 2 == 0 else "001BULK",
                "metric": "api-calls" if index % 2 == 0 else "tokens",
                "quantity": str(index % 7 + 1),
                "timestamp": f"2026-01-{index % 31 + 1:02d}T{index % 24:02d}:15:00Z",
            }
        )
    return events


def expected_rollups(events, contract, customer_contract):
    sums: dict = {}
    for e in events:
        owner = contract.pk if e["contract"] else customer_contract.pk
        key = (owner, date.fromisoformat(e["timestamp"][:10]))
        quantity, count = sums.get(key, (Decimal(0), 0))
        sums[key] = (quantity + Decimal(e["quantity"]), count + 1)
    return {(owner, day, quantity, count) for (owner, day), (quantity, count) in sums.items()}


def stored_rollups():
    return set(DailyUsage.objects.values_list("contract_id", "usage_date", "quantity", "events"))


def test_a_full_api_batch_with_four_bad_lines_is_reported_exactly_and_writes_nothing(
    specialist,
):
    contract = usage_contract()
    other = usage_contract(metric="tokens")
    other.account.salesforce_id = "001BULK"
    other.account.save()
    client = APIClient()
    client.force_authenticate(specialist)
    good = full_batch(contract, other)
    sent = [dict(e) for e in good]
    sent[6]["quantity"] = "-2"  # line 7
    sent[12_345]["customer"] = "001NOPE"  # line 12,346 names the customer (odd index)
    sent[33_332]["timestamp"] = "2027-06-01T00:00:00Z"  # line 33,333: after the term
    sent[49_998]["event_id"] = "e100"  # line 49,999 repeats line 101 with another payload

    refused = client.post("/api/v1/usage/events/", {"events": sent}, format="json")

    assert refused.status_code == 400
    report = refused.data["batch"]
    assert [(r["line"], r["event_id"], r["field"], r["code"]) for r in report["rejections"]] == [
        (7, "e6", "quantity", "negative_quantity"),
        (12_346, "e12345", "customer", "unknown_customer"),
        (33_333, "e33332", "timestamp", "outside_term"),
        (49_999, "e100", "event_id", "duplicate_different_payload"),
    ]
    assert report["rejections"][2]["message"] == "2027-06-01 is outside the term."
    assert (report["received"], report["accepted"], report["rejected"]) == (N, 0, 4)
    assert report["refused"] and UsageBatch.objects.get(pk=report["id"]).refused
    assert not UsageEvent.objects.exists() and not DailyUsage.objects.exists()

    # The sender fixes the four lines and sends the batch again: all of it is written,
    # and the daily rollups are the sums of the events, per contract and UTC day.
    created = client.post("/api/v1/usage/events/", {"events": good}, format="json")
    assert (created.status_code, created.data["accepted"], created.data["rejected"]) == (
        201,
        N,
        0,
    )
    assert UsageEvent.objects.count() == N
    assert stored_rollups() == expected_rollups(good, contract, other)

    # Sent a third time: every event is a duplicate, nothing is counted twice.
    again = client.post("/api/v1/usage/events/", {"events": good}, format="json")
    assert (again.status_code, again.data["accepted"], again.data["duplicates"]) == (201, 0, N)
    assert stored_rollups() == expected_rollups(good, contract, other)


# Texts PostgreSQL reads (its casts do not fail on them) though the exact rules may not:
# quantity or timestamp, with the verdict the exact rules give (None: a good event).
ODD_BUT_READABLE = [
    ("quantity", "NaN", "not_a_number"),
    ("quantity", "Infinity", "not_a_number"),
    ("quantity", "-Infinity", "not_a_number"),
    ("quantity", " 5 ", None),
    ("quantity", "+5", None),
    ("quantity", "5.", None),
    ("quantity", ".5", None),
    ("quantity", "-0", None),
    ("quantity", "1e1", None),
    ("quantity", "1e0001", "not_a_number"),
    ("quantity", "2.50", None),
    ("quantity", "0.0000001", "too_precise"),
    ("quantity", "1e18", "too_precise"),
    ("quantity", "-1", "negative_quantity"),
    ("timestamp", "yesterday", "invalid"),
    ("timestamp", "epoch", "invalid"),
    ("timestamp", "infinity", "invalid"),
    ("timestamp", "2026-01-05T24:00:00Z", "invalid"),
    ("timestamp", "2026/01/05T12:00:00Z", "invalid"),
    ("timestamp", "Jan 5 2026", "invalid"),
    ("timestamp", "10000-01-05T12:00:00Z", "invalid"),
    ("timestamp", "2026-01-05T12:00:00.1234567Z", "invalid"),
    ("timestamp", "2026-01-05 12:00:00+00", None),
    ("timestamp", "2026-01-05T12:00:00+00", None),
    ("timestamp", "2026-01-05T12:00:00.5Z", None),
    ("timestamp", "2026-01-05T12:00:00", None),
    ("timestamp", "2026-01-05", None),
    ("timestamp", "2026-01-05T12:00:00+01:00", None),
    ("timestamp", "2026-01-05T12:00Z", None),
    ("timestamp", "2025-12-31T23:30:00-05:00", None),
    ("timestamp", "2025-12-31T12:00:00Z", "outside_term"),
]


def odd_events(contract, last):
    events = []
    for index, (field, text, _) in enumerate(ODD_BUT_READABLE):
        e = {
            "event_id": f"odd{index}",
            "contract": contract.reference,
            "metric": "api-calls",
            "quantity": "3",
            "timestamp": "2026-01-06T00:00:00Z",
        }
        e[field] = text
        events.append(e)
    return events + [last]


def verdicts(batch):
    return {r["event_id"]: r["code"] for r in batch.rejections}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the judging is PostgreSQL's")
def test_a_text_no_cast_reads_gets_the_batch_judged_again_with_the_same_verdicts():
    # The premise: PostgreSQL's casts read every odd text, so a batch of them is judged
    # by the fast statement (a failing cast would send it to the exact one as well).
    for field, text, _ in ODD_BUT_READABLE:
        cast = "numeric" if field == "quantity" else "timestamptz"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT %s::text::{cast}", [text])
    with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 'ten'::text::numeric")

    contract = usage_contract()
    clean = {
        "event_id": "last",
        "contract": contract.reference,
        "metric": "api-calls",
        "quantity": "1",
        "timestamp": "2026-01-07T00:00:00Z",
    }
    unreadable = dict(clean, quantity="ten")
    fast = ingest_usage_events(events=body_events(odd_events(contract, clean)), source="test")
    exact = ingest_usage_events(events=body_events(odd_events(contract, unreadable)), source="test")

    expected = {
        f"odd{index}": code
        for index, (_, _, code) in enumerate(ODD_BUT_READABLE)
        if code is not None
    }
    assert verdicts(fast) == expected
    assert verdicts(exact) == dict(expected, last="not_a_number")
    assert fast.rejections == [r for r in exact.rejections if r["event_id"] != "last"]
    assert Counter(r["field"] for r in fast.rejections) == Counter({"quantity": 7, "timestamp": 9})
    assert fast.refused and exact.refused and not UsageEvent.objects.exists()


def test_a_request_body_over_the_batch_limit_is_refused_before_it_is_read(specialist):
    client = APIClient()
    client.force_authenticate(specialist)
    padded = {"events": [{"event_id": "x" * (33 * 1024 * 1024)}]}
    response = client.post("/api/v1/usage/events/", padded, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_events"
    assert not UsageBatch.objects.exists()
