"""Usage ingestion at volume: a batch of events in, a report of what was accepted,
ignored as duplicate and rejected (by line and reason) out.

How it stays fast on PostgreSQL: the events' texts are COPYed into a temporary table as
they are read and checked there in bulk (`ingestion_sql.py`: references resolved once per
distinct key, every other check in one statement); one statement then moves the good ones
into the raw table with `INSERT ... ON CONFLICT DO NOTHING` and adds what it inserted to
the daily rollups (`INSERT ... ON CONFLICT DO UPDATE`). On SQLite (the demo) each event is
checked in Python (`resolver.py`) and written one at a time. Event ids are unique per
usage month (the partition key is part of every unique index on a partitioned table), so
a retried batch inserts nothing and a replay of an id with another payload is reported.

How it stays whole: by default a batch with any rejected event writes no event (the sender
fixes the lines reported and sends the batch again; ids make that safe). With
`accept_valid=True` the good events are written and the bad ones reported. Either way the
events and rollups of a batch commit together, and the report is kept as a UsageBatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction

from billing.usage.models import DailyUsage, UsageBatch
from billing.usage.partitions import ensure_partitions
from billing.usage.resolver import CheckedEvent, EventChecker, Rejection, Resolver
from billing.usage.services.ingestion_sql import check_in_bulk


@dataclass
class _Outcome:
    received: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, outcome: _Outcome) -> None:
        self.outcome = outcome


def ingest_usage_events(
    *,
    events: Iterable[tuple[int, tuple]],
    source: str,
    actor=None,
    accept_valid: bool = False,
) -> UsageBatch:
    """Ingests `(line number, event)` pairs; an event is the tuple of texts `(event_id,
    customer, contract, metric, quantity, timestamp)` made by `parsers.py` (customer or
    contract may be empty; timestamp ISO 8601, UTC when it has no offset).
    Returns the saved batch with its counts and rejections."""
    if connection.vendor == "postgresql":  # checked in bulk, in SQL
        batch = _new_batch(source=source, actor=actor, received=0)
        try:
            outcome = _write_in_bulk(batch=batch, events=events, accept_valid=accept_valid)
        except _Refused as refused:
            return _close_batch(batch, refused.outcome, refused=True)
        return _close_batch(batch, outcome, refused=False)
    checker = EventChecker(Resolver())
    good: list[CheckedEvent] = []
    rejections: list[Rejection] = []
    received = 0
    for line, event in events:
        received += 1
        result = checker.check(line, event)
        if result is None:
            continue
        if isinstance(result, Rejection):
            rejections.append(result)
        else:
            good.append(result)
    batch = _new_batch(source=source, actor=actor, received=received)
    outcome = _Outcome(received=received, duplicates=checker.duplicates, rejections=rejections)
    try:  # also with rejections already found: earlier batches' ids are checked too
        outcome = _write(batch=batch, good=good, outcome=outcome, accept_valid=accept_valid)
    except _Refused as refused:
        return _close_batch(batch, refused.outcome, refused=True)
    return _close_batch(batch, outcome, refused=False)


@transaction.atomic(durable=True)
def _new_batch(*, source: str, actor, received: int) -> UsageBatch:
    return UsageBatch.objects.create(
        source=source[:20],
        received=received,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic(durable=True)
def _close_batch(batch: UsageBatch, outcome: _Outcome, *, refused: bool) -> UsageBatch:
    batch.received = outcome.received
    batch.accepted = 0 if refused else outcome.accepted
    batch.duplicates = outcome.duplicates
    batch.rejected = len(outcome.rejections)
    batch.rejections = [r.as_dict() for r in sorted(outcome.rejections, key=lambda r: r.line)]
    batch.refused = refused
    batch.save(
        update_fields=["received", "accepted", "duplicates", "rejected", "rejections", "refused"]
    )
    return batch


@transaction.atomic(durable=True)
def _write(
    *, batch: UsageBatch, good: list[CheckedEvent], outcome: _Outcome, accept_valid: bool
) -> _Outcome:
    if not good:
        return outcome
    days = {event.usage_date for event in good}
    ensure_partitions(sorted({day.replace(day=1) for day in days}))
    inserted, conflicts = _write_portably(batch, good)
    return _settle(outcome, inserted, conflicts, accept_valid)


def _settle(outcome: _Outcome, inserted: int, conflicts, accept_valid: bool) -> _Outcome:
    """Counts what was inserted; ids seen in an earlier batch are duplicates (same
    payload) or rejections; any rejection refuses the batch unless `accept_valid`."""
    outcome.accepted = inserted
    for line, event_id, same in conflicts:
        if same:
            outcome.duplicates += 1
        else:
            outcome.rejections.append(
                Rejection(
                    line,
                    event_id,
                    "event_id",
                    "duplicate_different_payload",
                    f"Event {event_id} was ingested before with another payload.",
                )
            )
    if len(outcome.rejections) and not accept_valid:
        raise _Refused(outcome)  # rolls back this batch's events and rollups
    return outcome


@transaction.atomic(durable=True)
def _write_in_bulk(*, batch: UsageBatch, events, accept_valid: bool) -> _Outcome:
    received, duplicates, rejections = check_in_bulk(events)
    outcome = _Outcome(received=received, duplicates=duplicates, rejections=rejections)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT date_trunc('month', usage_date)::date FROM usage_stage")
        months = sorted(row[0] for row in cursor.fetchall())
    if not months:
        return _settle(outcome, 0, [], accept_valid)
    ensure_partitions(months)
    inserted, conflicts = _move_staged(batch)
    return _settle(outcome, inserted, conflicts, accept_valid)


def _move_staged(batch: UsageBatch):
    """`usage_stage` into the raw table and the daily rollups, in one statement."""
    rollups = DailyUsage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM usage_stage")
        staged = int(cursor.fetchone()[0])
        cursor.execute(
            f"""
            WITH inserted AS (
                INSERT INTO usage_event (event_id, occurred_at, usage_date, contract_id, metric,
                                         quantity, batch_id, usage_month)
                SELECT event_id, occurred_at, usage_date, contract_id, metric, quantity, %s,
                       date_trunc('month', usage_date)::date
                  FROM usage_stage
                ON CONFLICT (event_id, usage_month) DO NOTHING
                RETURNING contract_id, metric, usage_date, quantity
            ), summed AS (
                INSERT INTO {rollups} (contract_id, metric, usage_date, quantity, events,
                                       billed_quantity)
                SELECT contract_id, metric, usage_date, sum(quantity), count(*), 0
                  FROM inserted GROUP BY contract_id, metric, usage_date
                ON CONFLICT (contract_id, metric, usage_date) DO UPDATE
                   SET quantity = {rollups}.quantity + excluded.quantity,
                       events = {rollups}.events + excluded.events
            )
            SELECT count(*) FROM inserted  -- "summed" runs too: a writing CTE always does
            """,
            [batch.pk],
        )
        inserted = int(cursor.fetchone()[0])
        conflicts = []
        if inserted < staged:  # ids seen in an earlier batch: same payload or not?
            cursor.execute(
                """
                SELECT s.line, s.event_id,
                       (e.contract_id, e.metric, e.quantity, e.occurred_at)
                       = (s.contract_id, s.metric, s.quantity, s.occurred_at)
                  FROM usage_stage s
                  JOIN usage_event e
                    ON e.event_id = s.event_id
                   AND e.usage_month = date_trunc('month', s.usage_date)::date
                 WHERE e.batch_id <> %s
                """,
                [batch.pk],
            )
            conflicts = cursor.fetchall()
    return inserted, conflicts


def _write_portably(batch: UsageBatch, good: list[CheckedEvent]):
    """SQLite (the demo): the same rules, one event at a time."""
    inserted, conflicts = 0, []
    totals: dict[tuple, list] = {}
    with connection.cursor() as cursor:
        for event in good:
            cursor.execute(
                "INSERT INTO usage_event (event_id, occurred_at, usage_date, contract_id, metric,"
                " quantity, batch_id, usage_month) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (event_id, usage_month) DO NOTHING",
                [
                    event.event_id,
                    event.occurred_at,
                    event.usage_date,
                    event.contract_id,
                    event.metric,
                    event.quantity,
                    batch.pk,
                    event.usage_date.replace(day=1),
                ],
            )
            if cursor.rowcount == 1:
                inserted += 1
                key = (event.contract_id, event.metric, event.usage_date)
                total = totals.setdefault(key, [Decimal(0), 0])
                total[0] += Decimal(event.quantity)
                total[1] += 1
                continue
            cursor.execute(
                "SELECT contract_id, metric, quantity, occurred_at FROM usage_event "
                "WHERE event_id = %s AND usage_month = %s",
                [event.event_id, event.usage_date.replace(day=1)],
            )
            row = cursor.fetchone()
            same = (row[0], row[1], str(row[2])) == (
                event.contract_id,
                event.metric,
                event.quantity,
            ) and str(row[3])[:19].replace(" ", "T") == event.occurred_at[:19]
            conflicts.append((event.line, event.event_id, same))
    for (contract_id, metric, day), (quantity, count) in totals.items():
        rollup, _ = DailyUsage.objects.get_or_create(
            contract_id=contract_id, metric=metric, usage_date=day
        )
        rollup.quantity += quantity
        rollup.events += count
        rollup.save(update_fields=["quantity", "events"])
    return inserted, conflicts
