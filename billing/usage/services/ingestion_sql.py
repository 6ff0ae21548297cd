"""The PostgreSQL path of usage ingestion: events checked in bulk, in SQL.

The events' texts go into a temporary table with COPY: a plain CSV file as sent (the
database splits the fields; Python never sees a row), anything else as rows parsed in
Python. No per-event work happens in Python. The references are resolved once per
distinct (customer, contract, metric) with `resolver.Resolver` (a few thousand keys at
most), and one statement checks every event against them in the same order as
`resolver.EventChecker`: event id, reference and metric, quantity, timestamp, term, then
repeats inside the batch (the first good event with an id wins; a later one with the
same payload is a duplicate, with another payload a rejection: contract, metric,
quantity and instant as values). The good events stay in `usage_checked`, which the
writer moves into the raw table."""

from __future__ import annotations

from collections.abc import Iterable

from billing.usage.resolver import EVENT_ID_MAX, Rejection, Resolver

# ISO 8601 extended dates and times as `datetime.fromisoformat` reads them; the cast is
# guarded by it, so "yesterday" or "Jan 5" never reach PostgreSQL's liberal parser.
TIMESTAMP = (
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
    r"([T ]([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?)?"
    r"(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?$"
)
DAY_EXISTS = (
    "substr(r.ts, 9, 2)::int <= extract(day from make_date(substr(r.ts, 1, 4)::int, "
    "substr(r.ts, 6, 2)::int, 1) + interval '1 month - 1 day')"
)
QUANTITY = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?\s*$"

CHECK = f"""
CREATE TEMP TABLE usage_checked ON COMMIT DROP AS
WITH parsed AS MATERIALIZED (
    SELECT r.line, r.event_id, r.metric, k.field AS key_field, k.code AS key_code,
           k.message AS key_message, k.key_id,
           CASE WHEN length(r.quantity) BETWEEN 1 AND 17
                 AND translate(r.quantity, '0123456789', '') = '' THEN r.quantity::numeric
                WHEN r.quantity ~ '{QUANTITY}' THEN r.quantity::numeric END AS quantity,
           -- CASE, not AND: the checks run in this order. The common shape first, checked
           -- without the regex engine; a day up to 28 needs no calendar.
           CASE WHEN translate(r.ts, '0123456789', '##########') = '####-##-##T##:##:##Z'
                THEN CASE WHEN substr(r.ts, 6, 2) BETWEEN '01' AND '12'
                           AND substr(r.ts, 9, 2) BETWEEN '01' AND '31'
                           AND substr(r.ts, 12, 2) < '24' AND substr(r.ts, 15, 2) < '60'
                           AND substr(r.ts, 18, 2) < '60' AND substr(r.ts, 1, 4) > '0000'
                          THEN CASE WHEN substr(r.ts, 9, 2) <= '28' THEN r.ts::timestamptz
                                    WHEN {DAY_EXISTS} THEN r.ts::timestamptz END END
                WHEN r.ts ~ '{TIMESTAMP}' THEN
                CASE WHEN substr(r.ts, 1, 4)::int >= 1 THEN
                     CASE WHEN {DAY_EXISTS} THEN r.ts::timestamptz END END END AS occurred_at
      FROM usage_raw r
      JOIN usage_key k
        ON k.customer = r.customer AND k.contract = r.contract AND k.metric = r.metric
), placed AS (  -- used once: inlined
    SELECT p.*, (p.occurred_at AT TIME ZONE 'UTC')::date AS usage_date, s.contract_id
      FROM parsed p
      LEFT JOIN usage_key_span s
        ON s.key_id = p.key_id
       AND (p.occurred_at AT TIME ZONE 'UTC')::date BETWEEN s.starts AND s.ends
)
-- Repeats of an id are few: a later step numbers them (nth) and compares them.
SELECT line, event_id, metric, quantity, occurred_at, usage_date, contract_id,
       1::bigint AS nth, true AS same_as_first,
           CASE WHEN event_id = '' OR length(event_id) > {EVENT_ID_MAX} THEN 'event_id'
                WHEN key_code IS NOT NULL THEN key_field
                WHEN quantity IS NULL OR quantity < 0 OR scale(quantity) > 6
                     OR quantity >= 1e18 THEN 'quantity'
                WHEN occurred_at IS NULL OR contract_id IS NULL THEN 'timestamp' END AS field,
           CASE WHEN event_id = '' OR length(event_id) > {EVENT_ID_MAX} THEN 'invalid'
                WHEN key_code IS NOT NULL THEN key_code
                WHEN quantity IS NULL THEN 'not_a_number'
                WHEN quantity < 0 THEN 'negative_quantity'
                WHEN scale(quantity) > 6 OR quantity >= 1e18 THEN 'too_precise'
                WHEN occurred_at IS NULL THEN 'invalid'
                WHEN contract_id IS NULL THEN 'outside_term' END AS code,
           CASE WHEN event_id = '' OR length(event_id) > {EVENT_ID_MAX}
                     THEN 'Give an event id (1-128).'
                WHEN key_code IS NOT NULL THEN key_message
                WHEN quantity < 0 THEN 'Usage cannot be negative.'
                WHEN quantity IS NULL OR scale(quantity) > 6 OR quantity >= 1e18 THEN 'Bad.'
                WHEN occurred_at IS NULL THEN 'Not an ISO 8601 time.'
                WHEN contract_id IS NULL
                     THEN to_char(usage_date, 'YYYY-MM-DD') || ' is outside the term.'
           END AS message
      FROM placed
"""


RAW_COLUMNS = ("event_id", "customer", "contract", "metric", "quantity", "ts")


def open_raw(cursor) -> None:
    """The batch's texts as sent; `line` counts from 2 (the header) unless given."""
    cursor.execute("SET LOCAL TimeZone = 'UTC'")
    cursor.execute("SET LOCAL work_mem = '256MB'")  # the batch's sort by id in memory
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


# Which good events repeat an id earlier in the batch (the first line wins), and whether
# with the same payload: contract, metric, quantity and instant as values.
NUMBER_REPEATS = """
UPDATE usage_checked c SET nth = r.nth, same_as_first = r.same_as_first
  FROM (SELECT line, row_number() OVER first_good AS nth,
               (first_value(contract_id) OVER first_good, first_value(metric) OVER first_good,
                first_value(quantity) OVER first_good, first_value(occurred_at) OVER first_good)
               = (contract_id, metric, quantity, occurred_at) AS same_as_first
          FROM usage_checked
         WHERE code IS NULL AND event_id IN (
               SELECT event_id FROM usage_checked WHERE code IS NULL
                GROUP BY event_id HAVING count(*) > 1)
        WINDOW first_good AS (PARTITION BY event_id ORDER BY line)) r
 WHERE c.line = r.line AND r.nth > 1
"""


def check_in_bulk(cursor) -> tuple[int, int, list[Rejection], list]:
    """Checks what `usage_raw` holds; returns (good events, in-batch duplicates,
    rejections, first and last usage day of the good ones) and leaves every event,
    judged, in `usage_checked` (good: `code IS NULL AND nth = 1`). Runs in the caller's
    transaction (the temporary tables go with it)."""
    # Statistics for the planner (hash joins, not a loop over the keys per event).
    cursor.execute("ANALYZE usage_raw")
    cursor.execute("SELECT DISTINCT customer, contract, metric FROM usage_raw")
    keys = cursor.fetchall()
    _load_keys(cursor, keys)
    cursor.execute(CHECK)
    cursor.execute(NUMBER_REPEATS)
    # One pass for the counts and the span of days, one over the few bad rows.
    cursor.execute(
        "SELECT count(*) FILTER (WHERE code IS NULL AND nth = 1), "
        "count(*) FILTER (WHERE code IS NULL AND nth > 1 AND same_as_first), "
        "min(usage_date) FILTER (WHERE code IS NULL AND nth = 1), "
        "max(usage_date) FILTER (WHERE code IS NULL AND nth = 1) "
        "FROM usage_checked"
    )
    good, duplicates, first_day, last_day = cursor.fetchone()
    cursor.execute(
        "SELECT line, event_id, coalesce(field, 'event_id'), "
        "coalesce(code, 'duplicate_different_payload'), coalesce(message, "
        "'Event ' || event_id || ' appears earlier in the batch with another payload.') "
        "FROM usage_checked WHERE code IS NOT NULL OR (nth > 1 AND NOT same_as_first)"
    )
    rejections = [Rejection(*row) for row in cursor.fetchall()]
    return int(good), int(duplicates), rejections, [first_day, last_day]


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
