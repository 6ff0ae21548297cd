"""Usage ingestion at volume: a batch of events in, a report of what was accepted,
ignored as duplicate and rejected (by line and reason) out.

How it stays fast on PostgreSQL: the events' texts are COPYed into a temporary table (a
plain CSV file as sent, `ingest_usage_csv`; API bodies and JSON lines as rows parsed in
Python) and judged there by one statement (`ingestion_sql.py`: references resolved once
per distinct key, every other check set-based). The good events then go into the raw
table by a plain INSERT: in the usual batch no id was seen before, and that is all.
Only when the primary key says an id was (in an earlier batch, or twice in this one) is
that undone and the careful path taken: repeats numbered, INSERT ... ON CONFLICT DO
NOTHING, a look at which ids and whether the payload is the same. A batch spanning
months numbers its repeats first (the key is per month). One INSERT ... ON CONFLICT DO
UPDATE adds the inserted events to the daily rollups. On SQLite (the demo) the same
steps run in the same order one event at a time: `resolver.EventChecker` judges each
event by the same rules, `_write_portably` inserts and rolls up. Event ids are unique
per usage month (the partition key is part of every unique index on a partitioned
table), so a retried batch inserts nothing and a replay of an id with another payload
is reported.

How it stays whole: by default a batch with any rejected event writes no event (the
sender fixes the lines reported and sends the batch again; ids make that safe). With
`accept_valid=True` the good events are written and the bad ones reported. Either way
the events and rollups of a batch commit together, and the report is kept as a
UsageBatch.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import psycopg
from django.db import IntegrityError, connection, transaction

from billing.usage.models import DailyUsage, UsageBatch
from billing.usage.parsers import csv_events, plain_csv_header
from billing.usage.partitions import ensure_partitions
from billing.usage.resolver import CheckedEvent, EventChecker, Rejection, Resolver
from billing.usage.services.ingestion_sql import (
    copy_csv,
    copy_events,
    judge_in_bulk,
    number_repeats,
    open_raw,
    rejection_report,
)
from core.terms import add_months


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
        return _ingest_in_bulk(
            lambda cursor: copy_events(cursor, events), source, actor, accept_valid
        )
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


def ingest_usage_csv(
    *, data: bytes, source: str, actor=None, accept_valid: bool = False
) -> UsageBatch:
    """A CSV file (header row, `parsers.COLUMNS`) through the same checks and report as
    `ingest_usage_events`. On PostgreSQL a plain file (the six columns named in the
    header, no quotes, no carriage returns) is COPYed as sent and split by the database;
    one it cannot split into rows of the header's width, and any other file, is parsed
    in Python. Lines are the file's lines either way."""
    columns = plain_csv_header(data) if connection.vendor == "postgresql" else None
    if columns is None:
        text = io.StringIO(data.decode("utf-8"), newline="")
        return ingest_usage_events(
            events=csv_events(text), source=source, actor=actor, accept_valid=accept_valid
        )

    def load(cursor) -> int:
        try:
            with transaction.atomic():  # a savepoint: a row of the wrong width undoes it
                return copy_csv(cursor, data, columns)
        except psycopg.DataError:
            text = io.StringIO(data.decode("utf-8"), newline="")
            return copy_events(cursor, csv_events(text))

    return _ingest_in_bulk(load, source, actor, accept_valid)


def _ingest_in_bulk(load, source: str, actor, accept_valid: bool) -> UsageBatch:
    batch = _new_batch(source=source, actor=actor, received=0)
    try:
        outcome = _write_in_bulk(batch=batch, load=load, accept_valid=accept_valid)
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
def _write_in_bulk(*, batch: UsageBatch, load, accept_valid: bool) -> _Outcome:
    with connection.cursor() as cursor:
        open_raw(cursor)
        received = load(cursor)
        good, (first_day, last_day) = judge_in_bulk(cursor)
        # The primary key (event id, month) stops a repeat inside one month; a batch over
        # several months numbers its repeats first.
        numbered = bool(good) and first_day.replace(day=1) != last_day.replace(day=1)
        if numbered:
            number_repeats(cursor)
        inserted, conflicts = 0, []
        if good:
            ensure_partitions(_months(first_day, last_day))
            one_month = None if numbered else first_day.replace(day=1)
            inserted, conflicts, numbered = _insert_events(cursor, batch, numbered, one_month)
        duplicates, rejections = rejection_report(cursor, numbered=numbered)
        if inserted:
            every_event = inserted == received
            _add_to_rollups(cursor, batch, every_event=every_event, skip_earlier=bool(conflicts))
    outcome = _Outcome(received=received, duplicates=duplicates, rejections=rejections)
    return _settle(outcome, inserted, conflicts, accept_valid)


def _months(first_day: date, last_day: date) -> list[date]:
    month, months = first_day.replace(day=1), []
    while month <= last_day:
        months.append(month)
        month = add_months(month, 1)
    return months


GOOD = "fault IS NULL AND nth = 1"  # in usage_checked: at most one row per event id
MONTH = "date_trunc('month', s.usage_date)::date"
INSERT_EVENTS = """
INSERT INTO usage_event (event_id, occurred_at, usage_date, contract_id, metric, quantity,
                         batch_id, usage_month)
SELECT s.event_id, s.occurred_at, s.usage_date, s.contract_id, s.metric, s.quantity, %s,
       {month}
  FROM usage_checked s WHERE {good}"""


def _insert_events(cursor, batch: UsageBatch, numbered: bool, one_month: date | None):
    """The good events into the raw table; returns (inserted, conflicts, numbered).
    First as a plain INSERT: in the usual batch no id was seen before (here or in an
    earlier batch), and then it is all there is to do. An id seen before makes it fail
    on the primary key; it is then undone, the batch's repeats numbered and the events
    inserted again skipping ids an earlier batch had (ON CONFLICT DO NOTHING), and a
    second look says which ids those were and whether the payload is the same. A batch
    of one month passes the month as a value (no date_trunc per event)."""
    month, params = (MONTH, [batch.pk]) if one_month is None else ("%s", [batch.pk, one_month])
    insert = INSERT_EVENTS.format(month=month, good=GOOD)
    try:
        with transaction.atomic():  # a savepoint
            cursor.execute(insert, params)
            return cursor.rowcount, [], numbered
    except IntegrityError:
        pass
    if not numbered:
        number_repeats(cursor)
    cursor.execute(insert + " ON CONFLICT (event_id, usage_month) DO NOTHING", params)
    inserted = cursor.rowcount
    cursor.execute(
        f"""
        SELECT s.line, s.event_id, (e.contract_id, e.metric, e.quantity, e.occurred_at)
               = (s.contract_id, s.metric, s.quantity, s.occurred_at)
          FROM usage_checked s
          JOIN usage_event e ON e.event_id = s.event_id AND e.usage_month = {MONTH}
         WHERE {GOOD} AND e.batch_id <> %s
        """,
        [batch.pk],
    )
    return inserted, cursor.fetchall(), True


def _add_to_rollups(cursor, batch: UsageBatch, *, every_event: bool, skip_earlier: bool):
    """The sums of the events inserted into the daily rollups, grouped first by the
    batch's small integer keys (a key is one reference and metric), then by contract,
    metric and day (two references may name one contract). When every event of the
    batch was inserted there is nothing to filter; otherwise the judged table is
    analysed first, so that the planner hashes the good rows rather than guessing a
    handful and sorting them."""
    good, params = GOOD, []
    if skip_earlier:  # ids an earlier batch had were not inserted: not counted again
        good += (
            " AND NOT EXISTS (SELECT 1 FROM usage_event e WHERE e.event_id = s.event_id "
            f"AND e.usage_month = {MONTH} AND e.batch_id <> %s)"
        )
        params = [batch.pk]
    if not every_event:
        cursor.execute("ANALYZE usage_checked")
    rollups = DailyUsage._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {rollups} (contract_id, metric, usage_date, quantity, events,
                               billed_quantity)
        SELECT g.contract_id, k.metric, g.usage_date, sum(g.quantity), sum(g.events), 0
          FROM (SELECT s.key_id, s.contract_id, s.usage_date, sum(s.quantity) AS quantity,
                       count(*) AS events
                  FROM usage_checked s {"" if every_event else f"WHERE {good}"}
                 GROUP BY s.key_id, s.contract_id, s.usage_date) g
          JOIN usage_key k ON k.key_id = g.key_id
         GROUP BY g.contract_id, k.metric, g.usage_date
        ON CONFLICT (contract_id, metric, usage_date) DO UPDATE
           SET quantity = {rollups}.quantity + excluded.quantity,
               events = {rollups}.events + excluded.events
        """,
        params,
    )


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
