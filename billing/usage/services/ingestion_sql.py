"""The PostgreSQL path of usage ingestion: events checked in bulk, in SQL.

The events' texts go into a temporary table with COPY: a plain CSV file as sent (the
database splits the fields; Python never sees a row), anything else as rows parsed in
Python. No per-event work happens in Python. The references are resolved once per
distinct (customer, contract, metric) with `resolver.Resolver` (a few thousand keys at
most), and one statement judges every event against them in the same order as
`resolver.EventChecker`: event id, reference and metric, quantity, timestamp, term. Its
verdict is one column, `fault` (NULL for a good event); repeats of an id inside the
batch are judged later, and only when there can be any (`number_repeats`).

Two statements give the same verdicts. `FAST_CHECK` casts every quantity and timestamp
as PostgreSQL reads them and keeps a cast only when it prints back as the sender's text
(`1712`, `2026-01-10T12:00:00Z`): a text that prints back is read the same way by the
exact rules, so the common shapes cost one cast each. Any other text (offsets, naive
times, exponents, "yesterday") takes the exact rules row by row in the same statement.
A text PostgreSQL cannot cast at all ("ten", day 32) stops the statement; the batch is
then judged again by `EXACT_CHECK`, where every cast is guarded by the exact rules, so
a batch with such a line costs a second pass but gets the same report."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import DataError, transaction

from billing.usage.resolver import EVENT_ID_MAX, Rejection, Resolver

# ISO 8601 extended dates and times as `datetime.fromisoformat` reads them; the cast is
# guarded by it, so "yesterday" or "Jan 5" never reach PostgreSQL's liberal parser.
TIMESTAMP = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?)?"
    r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?$"
)
QUANTITY = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*$"


def exact_quantity(text: str) -> str:
    """The exact rules for a quantity text, as an expression that never raises."""
    return f"""
    CASE WHEN length({text}) BETWEEN 1 AND 17
          AND translate({text}, '0123456789', '') = '' THEN {text}::numeric
         WHEN {text} ~ '{QUANTITY}' THEN {text}::numeric END"""


def exact_timestamp(text: str) -> str:
    """The exact rules for a timestamp text (a day that does not exist is no time)."""
    day_exists = (
        f"substr({text}, 9, 2)::int <= extract(day from make_date(substr({text}, 1, 4)::int, "
        f"substr({text}, 6, 2)::int, 1) + interval '1 month - 1 day')"
    )
    return f"""
    CASE WHEN {text} ~ '{TIMESTAMP}' THEN
         CASE WHEN substr({text}, 1, 4)::int >= 1 THEN
              CASE WHEN {day_exists} THEN {text}::timestamptz END END END"""


# The verdict, in the checker's order; `rejection_report` spells it out.
FAULT = f"""
    CASE WHEN event_id = '' OR length(event_id) > {EVENT_ID_MAX} THEN 'invalid_id'
         WHEN key_code IS NOT NULL THEN 'key'
         WHEN quantity IS NULL THEN 'not_a_number'
         WHEN quantity < 0 THEN 'negative_quantity'
         WHEN scale(quantity) > 6 OR quantity >= 1e18 THEN 'too_precise'
         WHEN occurred_at IS NULL THEN 'invalid_time'
         WHEN contract_id IS NULL THEN 'outside_term' END"""

# Judged events: `fault IS NULL AND nth = 1` are the good ones (at most one per id once
# `number_repeats` has run). The span join runs above a subquery fenced by OFFSET 0, so
# each cast is made once per event, not once per mention.
JUDGED = f"""
CREATE TEMP TABLE usage_checked ON COMMIT DROP AS
SELECT line, event_id, metric, key_id, quantity, occurred_at, usage_date, contract_id,
       1::bigint AS nth, true AS same_as_first, {FAULT} AS fault
  FROM (SELECT p.*, p.occurred_at::date AS usage_date, s.contract_id
          FROM ({{parsed}} OFFSET 0) p
          LEFT JOIN usage_key_span s
            ON s.key_id = p.key_id AND p.occurred_at::date BETWEEN s.starts AND s.ends) j
"""
KEYED = """
      FROM usage_raw r
      JOIN usage_key k
        ON k.customer = r.customer AND k.contract = r.contract AND k.metric = r.metric"""
EXACT_CHECK = JUDGED.format(
    parsed=f"""
    SELECT r.line, r.event_id, r.metric, k.key_id, k.code AS key_code,
           {exact_quantity("r.quantity")} AS quantity,
           {exact_timestamp("r.ts")} AS occurred_at {KEYED}"""
)
# `c` casts once; a cast that prints back as sent is what the exact rules read too
# (NaN and Infinity print back but are not numbers to them). UTC and ISO output are set
# for the transaction by `open_raw`.
FAST_CHECK = JUDGED.format(
    parsed=f"""
    SELECT c.line, c.event_id, c.metric, c.key_id, c.key_code,
           CASE WHEN c.q::text = c.quantity AND c.quantity NOT IN ('NaN', 'Infinity', '-Infinity')
                THEN c.q ELSE {exact_quantity("c.quantity")} END AS quantity,
           CASE WHEN length(c.ts) = 20 AND c.t::text = replace(replace(c.ts, 'T', ' '), 'Z', '+00')
                THEN c.t ELSE {exact_timestamp("c.ts")} END AS occurred_at
      FROM (SELECT r.line, r.event_id, r.metric, k.key_id, k.code AS key_code,
                   r.quantity::numeric AS q, r.ts::timestamptz AS t, r.quantity, r.ts {KEYED}
            OFFSET 0) c"""
)


RAW_COLUMNS = ("event_id", "customer", "contract", "metric", "quantity", "ts")


def open_raw(cursor) -> None:
    """The batch's texts as sent; `line` counts from 2 (the header) unless given."""
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    cursor.execute("SET LOCAL DateStyle = 'ISO'")  # FAST_CHECK compares times as printed
    cursor.execute("SET LOCAL work_mem = '256MB'")  # sorts and hashes of a batch in memory
    cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
    for table in ("usage_raw", "usage_key", "usage_key_span", "usage_checked"):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
    cursor.execute(
        "CREATE TEMP TABLE usage_raw (line bigint GENERATED BY DEFAULT AS IDENTITY (START 2), "
        'event_id text COLLATE "C", customer text, contract text, metric text, quantity text, '
        "ts text) ON COMMIT DROP"
    )


def copy_events(cursor, events: Iterable[tuple[int, tuple]]) -> int:
    """Events parsed in Python (API bodies, JSON lines, unusual CSV) into `usage_raw`."""
    received = 0
    with cursor.cursor.copy(
        "COPY usage_raw (line, event_id, customer, contract, metric, quantity, ts) FROM STDIN"
    ) as copy:
        write_row = copy.write_row
        for line, event in events:
            write_row((line, *event))
            received += 1
    return received


def copy_csv(cursor, data: bytes, columns: list[str]) -> int:
    """A plain CSV file (header `columns`, one event a line) COPYed as sent: PostgreSQL
    splits the fields, Python never sees a row. Rows keep the file's order, so the
    sequence numbers them as an editor does. Raises psycopg's DataError on a row of the
    wrong width (the caller then parses in Python and reports it by line)."""
    names = ", ".join("ts" if c == "timestamp" else c for c in columns)
    with cursor.cursor.copy(
        f"COPY usage_raw ({names}) FROM STDIN (FORMAT csv, HEADER true, FORCE_NOT_NULL ({names}))"
    ) as copy:
        view = memoryview(data)
        for start in range(0, len(data), 1 << 20):
            copy.write(view[start : start + (1 << 20)])
    return cursor.cursor.rowcount


def judge_in_bulk(cursor) -> tuple[int, list]:
    """Judges what `usage_raw` holds into `usage_checked` (every event, with its fault);
    returns the number of events without a fault and the first and last usage day among
    them. Runs in the caller's transaction (the temporary tables go with it)."""
    cursor.execute("SELECT DISTINCT customer, contract, metric FROM usage_raw")
    _load_keys(cursor, cursor.fetchall())
    try:
        with transaction.atomic():  # a savepoint: a text no cast can read undoes it
            cursor.execute(FAST_CHECK)
    except DataError:  # "ten", day 32: judged again, every cast guarded
        cursor.execute(EXACT_CHECK)
    cursor.execute(
        "SELECT count(*), min(usage_date), max(usage_date) FROM usage_checked WHERE fault IS NULL"
    )
    good, first_day, last_day = cursor.fetchone()
    return int(good), [first_day, last_day]


# Which good events repeat an id earlier in the batch (the first line wins), and whether
# with the same payload: contract, metric, quantity and instant as values.
NUMBER_REPEATS = """
UPDATE usage_checked c SET nth = r.nth, same_as_first = r.same_as_first
  FROM (SELECT line, row_number() OVER first_good AS nth,
               (first_value(contract_id) OVER first_good, first_value(metric) OVER first_good,
                first_value(quantity) OVER first_good, first_value(occurred_at) OVER first_good)
               = (contract_id, metric, quantity, occurred_at) AS same_as_first
          FROM usage_checked
         WHERE fault IS NULL AND event_id IN (
               SELECT event_id FROM usage_checked WHERE fault IS NULL
                GROUP BY event_id HAVING count(*) > 1)
        WINDOW first_good AS (PARTITION BY event_id ORDER BY line)) r
 WHERE c.line = r.line AND r.nth > 1
"""


def number_repeats(cursor) -> None:
    """Numbers the good events by id (`nth`): only the first of each id is written."""
    cursor.execute(NUMBER_REPEATS)


# The rejection of each fault: field, code and message as `resolver.EventChecker` says.
REJECTIONS = """
SELECT c.line, c.event_id,
       CASE c.fault WHEN 'key' THEN k.field WHEN 'invalid_id' THEN 'event_id'
            WHEN 'invalid_time' THEN 'timestamp' WHEN 'outside_term' THEN 'timestamp'
            WHEN 'not_a_number' THEN 'quantity' WHEN 'negative_quantity' THEN 'quantity'
            WHEN 'too_precise' THEN 'quantity' ELSE 'event_id' END,
       CASE WHEN c.fault IS NULL THEN 'duplicate_different_payload' WHEN c.fault = 'key'
            THEN k.code WHEN c.fault IN ('invalid_id', 'invalid_time') THEN 'invalid'
            ELSE c.fault END,
       CASE c.fault WHEN 'key' THEN k.message WHEN 'invalid_id' THEN 'Give an event id (1-128).'
            WHEN 'invalid_time' THEN 'Not an ISO 8601 time.'
            WHEN 'outside_term' THEN to_char(c.usage_date, 'YYYY-MM-DD') || ' is outside the term.'
            WHEN 'negative_quantity' THEN 'Usage cannot be negative.'
            WHEN 'not_a_number' THEN 'Bad.' WHEN 'too_precise' THEN 'Bad.'
            ELSE 'Event ' || c.event_id || ' appears earlier in the batch with another payload.'
       END
  FROM usage_checked c LEFT JOIN usage_key k ON k.key_id = c.key_id
 WHERE c.fault IS NOT NULL OR (c.nth > 1 AND NOT c.same_as_first)
"""


def rejection_report(cursor, *, numbered: bool) -> tuple[int, list[Rejection]]:
    """(in-batch duplicates, rejections) of the judged batch. Repeats are known once
    `number_repeats` has run; without it the caller has seen that there are none."""
    duplicates = 0
    if numbered:
        cursor.execute(
            "SELECT count(*) FROM usage_checked WHERE fault IS NULL AND nth > 1 AND same_as_first"
        )
        duplicates = cursor.fetchone()[0]
    cursor.execute(REJECTIONS)
    return int(duplicates), [Rejection(*row) for row in cursor.fetchall()]


def _load_keys(cursor, keys: list[tuple[str, str, str]]) -> None:
    """The references of the batch, resolved once each, as two small tables."""
    cursor.execute(
        "CREATE TEMP TABLE usage_key (key_id integer, customer text, contract text, "
        "metric text, field text, code text, message text) ON COMMIT DROP"
    )
    cursor.execute(
        "CREATE TEMP TABLE usage_key_span (key_id integer, starts date, ends date, "
        "contract_id bigint) ON COMMIT DROP"
    )
    resolver = Resolver()
    with cursor.cursor.copy("COPY usage_key FROM STDIN") as copy:
        for key_id, (customer, contract, metric) in enumerate(keys):
            intervals, problem = resolver.lookup(customer, contract, metric)
            copy.write_row((key_id, customer, contract, metric, *(problem or (None,) * 3)))
    with cursor.cursor.copy("COPY usage_key_span FROM STDIN") as copy:
        for key_id, (customer, contract, metric) in enumerate(keys):
            intervals, problem = resolver.lookup(customer, contract, metric)
            for start, end, contract_id in [] if problem else intervals.spans:
                copy.write_row((key_id, start, end, contract_id))
    cursor.execute("ANALYZE usage_key; ANALYZE usage_key_span")
