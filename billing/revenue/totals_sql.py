"""The SQL that keeps the maintained revenue totals (models_totals.py) in step with the
schedule lines and their versions on PostgreSQL: statement triggers on
revenue_revenuescheduleline and revenue_revenueschedule, one grouped upsert per statement
(a COPY of 360k lines fires its trigger once), and the same contributions computed from
every line to fill the tables or check them.

A line counts while its schedule is the one known: a version known from its effective date
(f) until the effective date of the first later version (u; none: for good), which is
`schedules_as_of`'s rule (the latest version known on a date). So a line of amount A adds:
- to the recognised revenue to date of its accounting contract, A (and one line) from
  greatest(f, its recognition date), and takes them off again from u, if u is later;
- to the revenue scheduled in its recognition month, known from f, A for its (contract,
  product), taken off from u.
A new version therefore changes the lines of the versions it supersedes (u moves): the
schedule trigger recomputes the obligations it touches, before less after.
"""

from __future__ import annotations

LINES = "revenue_revenuescheduleline"
SCHEDULES = "revenue_revenueschedule"
OBLIGATIONS = "revenue_performanceobligation"
RECOGNISED = "revenue_recognisedrevenuemovement"
SCHEDULED = "revenue_scheduledrevenuemonth"
SCHEDULED_GROUPS = "revenue_scheduledrevenuetotal"
SCHEDULED_MONTHS = "revenue_scheduledrevenuecurrencymonth"
TABLES = [RECOGNISED, SCHEDULED, SCHEDULED_GROUPS, SCHEDULED_MONTHS]

# Each line of {lines} with its schedule's interval among {schedules}: f, u (NULL: none).
# {sign}: '' or '-' (the amount and the line count taken off).
LINE_INTERVALS = """
SELECT l.contract_id, o.product_id, l.currency, l.recognition_date,
       date_trunc('month', l.recognition_date)::date AS month,
       s.f, s.u, {sign}l.amount AS amount, {sign}1 AS lines
FROM {lines} l
JOIN (
  SELECT v.id, v.effective_date AS f,
         min(v.effective_date) OVER (
           PARTITION BY v.obligation_id ORDER BY v.version DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS u
  FROM {schedules} v
  WHERE v.obligation_id IN (SELECT z.obligation_id FROM {lines} z)
) s ON s.id = l.schedule_id
JOIN revenue_performanceobligation o ON o.id = l.obligation_id
WHERE s.u IS NULL OR s.u > s.f
"""

RECOGNISED_ROWS = """
SELECT contract_id, currency, greatest(f, recognition_date) AS day, amount, lines FROM x
WHERE u IS NULL OR u > greatest(f, recognition_date)
UNION ALL
SELECT contract_id, currency, u, -amount, -lines FROM x
WHERE u IS NOT NULL AND u > greatest(f, recognition_date)
"""

SCHEDULED_ROWS = """
SELECT contract_id, product_id, currency, month, f AS known_from, amount FROM x
UNION ALL
SELECT contract_id, product_id, currency, month, u, -amount FROM x WHERE u IS NOT NULL
"""

UPSERT_RECOGNISED = f"""
INSERT INTO {RECOGNISED} AS t (contract_id, currency, day, amount, lines)
SELECT contract_id, currency, day, sum(amount), sum(lines) FROM ({RECOGNISED_ROWS}) r
GROUP BY contract_id, currency, day HAVING sum(amount) <> 0 OR sum(lines) <> 0
ORDER BY 1, 2, 3
ON CONFLICT (contract_id, currency, day) DO UPDATE
  SET amount = t.amount + excluded.amount, lines = t.lines + excluded.lines
"""

UPSERT_SCHEDULED = f"""
INSERT INTO {SCHEDULED} AS t (contract_id, product_id, currency, month, known_from, amount)
SELECT contract_id, product_id, currency, month, known_from, sum(amount) FROM s
GROUP BY contract_id, product_id, currency, month, known_from HAVING sum(amount) <> 0
ORDER BY 1, 2, 3, 4, 5
ON CONFLICT (contract_id, product_id, currency, month, known_from) DO UPDATE
  SET amount = t.amount + excluded.amount
"""

# Kept even where the amounts cancel: a (contract, product) is in the waterfall of a date
# when it has a row known by then (the rows of its months say whether it is shown).
UPSERT_SCHEDULED_GROUPS = f"""
INSERT INTO {SCHEDULED_GROUPS} AS t (contract_id, product_id, currency, known_from, amount)
SELECT contract_id, product_id, currency, known_from, sum(amount) FROM s
GROUP BY contract_id, product_id, currency, known_from
ORDER BY 1, 2, 3, 4
ON CONFLICT (contract_id, product_id, currency, known_from) DO UPDATE
  SET amount = t.amount + excluded.amount
"""

# The currency months are shared by every contract of a currency: a statement appends its
# change as new rows instead of updating shared ones, so that two writes in a currency
# neither queue on each other's row locks nor deadlock (one locking March then April, the
# other April then March, over two statements each). Readers sum the rows; compaction
# (`compact_scheduled_months`) folds them back to one per key now and then.
UPSERT_SCHEDULED_MONTHS = f"""
INSERT INTO {SCHEDULED_MONTHS} (currency, month, known_from, amount)
SELECT currency, month, known_from, sum(amount) FROM s
GROUP BY currency, month, known_from HAVING sum(amount) <> 0
"""

# One row per key from the rows committed when it starts (a writer's rows committed later
# are not seen, so not deleted, and stay beside the folded row); one compaction at a time.
COMPACT_SCHEDULED_MONTHS = f"""
WITH gone AS (DELETE FROM {SCHEDULED_MONTHS} RETURNING currency, month, known_from, amount)
INSERT INTO {SCHEDULED_MONTHS} (currency, month, known_from, amount)
SELECT currency, month, known_from, sum(amount) FROM gone
GROUP BY currency, month, known_from HAVING sum(amount) <> 0
"""
COMPACTING_LOCK = f"SELECT pg_try_advisory_xact_lock(hashtext('{SCHEDULED_MONTHS}'))"


def contributions(parts: list[tuple[str, str, str]]) -> str:
    """The lines' rows (see LINE_INTERVALS) of each (lines, schedules, sign) part."""
    return " UNION ALL ".join(
        LINE_INTERVALS.format(lines=lines, schedules=schedules, sign=sign)
        for lines, schedules, sign in parts
    )


def upserts(parts: list[tuple[str, str, str]]) -> list[str]:
    """One statement: the lines' rows computed once, every table upserted from them."""
    x = contributions(parts)
    return [
        f"WITH x AS MATERIALIZED ({x}), s AS MATERIALIZED ({SCHEDULED_ROWS}), "
        f"recognised AS ({UPSERT_RECOGNISED} RETURNING 1), "
        f"scheduled AS ({UPSERT_SCHEDULED} RETURNING 1), "
        f"scheduled_groups AS ({UPSERT_SCHEDULED_GROUPS} RETURNING 1) "
        f"{UPSERT_SCHEDULED_MONTHS}"
    ]


# The columns a line's contribution depends on: an UPDATE that changes none adds nothing.
LINE_COUNTED = [
    "schedule_id",
    "obligation_id",
    "contract_id",
    "recognition_date",
    "currency",
    "amount",
]
SCHEDULE_COUNTED = ["obligation_id", "version", "effective_date"]


def changed(side: str, columns: list[str]) -> str:
    other = "old_rows" if side == "new_rows" else "new_rows"
    mine = ", ".join(f"s.{c}" for c in columns)
    theirs = ", ".join(f"t.{c}" for c in columns)
    return (
        f"(SELECT s.* FROM {side} s JOIN {other} t ON t.id = s.id "
        f"WHERE ({mine}) IS DISTINCT FROM ({theirs}))"
    )


def _touched_lines(rows: str) -> str:
    """The lines of every obligation that `rows` (schedules) belong to."""
    return (
        f"(SELECT l.* FROM {LINES} l "
        f"WHERE l.obligation_id IN (SELECT r2.obligation_id FROM {rows} r2))"
    )


def line_events() -> list[tuple[str, str, str, list[str]]]:
    """(trigger name, verb, transition tables, statements) of the line table."""
    return [
        (
            "revenue_totals_line_ins",
            "INSERT",
            "NEW TABLE AS new_rows",
            upserts([("new_rows", SCHEDULES, "")]),
        ),
        (
            "revenue_totals_line_upd",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            upserts(
                [
                    (changed("new_rows", LINE_COUNTED), SCHEDULES, ""),
                    (changed("old_rows", LINE_COUNTED), SCHEDULES, "-"),
                ]
            ),
        ),
        (
            "revenue_totals_line_del",
            "DELETE",
            "OLD TABLE AS old_rows",
            upserts([("old_rows", SCHEDULES, "-")]),
        ),
    ]


def schedule_events() -> list[tuple[str, str, str, list[str]]]:
    """A version added, removed or changed moves the intervals of its obligation's other
    versions: their lines are counted again with the schedules after the statement and
    taken off with those before it."""
    before_insert = f"(SELECT * FROM {SCHEDULES} WHERE id NOT IN (SELECT id FROM new_rows))"
    before_delete = f"(SELECT * FROM {SCHEDULES} UNION ALL SELECT * FROM old_rows)"
    new_changed = changed("new_rows", SCHEDULE_COUNTED)
    old_changed = changed("old_rows", SCHEDULE_COUNTED)
    before_update = (
        f"(SELECT * FROM {SCHEDULES} WHERE id NOT IN (SELECT id FROM {new_changed} c) "
        f"UNION ALL SELECT * FROM {old_changed} c)"
    )
    updated = _touched_lines(
        f"(SELECT * FROM {new_changed} a UNION ALL SELECT * FROM {old_changed} b)"
    )
    return [
        (
            "revenue_totals_schedule_ins",
            "INSERT",
            "NEW TABLE AS new_rows",
            upserts(
                [
                    (_touched_lines("new_rows"), SCHEDULES, ""),
                    (_touched_lines("new_rows"), before_insert, "-"),
                ]
            ),
        ),
        (
            "revenue_totals_schedule_upd",
            "UPDATE",
            "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            upserts([(updated, SCHEDULES, ""), (updated, before_update, "-")]),
        ),
        (
            "revenue_totals_schedule_del",
            "DELETE",
            "OLD TABLE AS old_rows",
            upserts(
                [
                    (_touched_lines("old_rows"), SCHEDULES, ""),
                    (_touched_lines("old_rows"), before_delete, "-"),
                ]
            ),
        ),
    ]


FUNCTION = """
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  {statements};
  RETURN NULL;
END $$;
"""
TRIGGER = """
CREATE TRIGGER {name} AFTER {verb} ON {table} REFERENCING {transition}
FOR EACH STATEMENT EXECUTE FUNCTION {name}()
"""


def triggers() -> list[tuple[str, str, list[str], str, str]]:
    return [(LINES, *event) for event in line_events()] + [
        (SCHEDULES, *event) for event in schedule_events()
    ]


def create_triggers(execute, found=None) -> None:
    """Creates `found` (table, name, verb, transition tables, statements), by default
    these totals' triggers (billed_sql.py passes its own)."""
    for table, name, verb, transition, statements in found or triggers():
        execute(FUNCTION.format(name=name, statements=";\n  ".join(statements)))
        execute(TRIGGER.format(name=name, verb=verb, table=table, transition=transition))


def drop_triggers(execute, found=None) -> None:
    for table, name, *_ in found or triggers():
        execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        execute(f"DROP FUNCTION IF EXISTS {name}()")


def fill(execute) -> None:
    """Every table from every line, once (the migration; a repair)."""
    for table in TABLES:
        execute(f"DELETE FROM {table}")
    for statement in upserts([(LINES, SCHEDULES, "")]):
        execute(statement)


# Differences between the maintained tables and the same figures from every line now:
# (table, contract, currency, key, kept, recomputed); none when they agree. A nil group
# row kept after its lines went is no difference: it shows nothing.
DRIFT_SQL = f"""
WITH x AS ({contributions([(LINES, SCHEDULES, "")])}),
s AS ({SCHEDULED_ROWS}),
want_r AS (SELECT contract_id, currency, day, sum(amount) AS amount, sum(lines) AS lines
           FROM ({RECOGNISED_ROWS}) r GROUP BY 1, 2, 3),
want_s AS (SELECT contract_id, product_id, currency, month, known_from, sum(amount) AS amount
           FROM s GROUP BY 1, 2, 3, 4, 5),
want_g AS (SELECT contract_id, product_id, currency, known_from, sum(amount) AS amount
           FROM s GROUP BY 1, 2, 3, 4),
want_m AS (SELECT currency, month, known_from, sum(amount) AS amount FROM s GROUP BY 1, 2, 3)
SELECT 'recognised', contract_id, currency, day::text,
       COALESCE(h.amount, 0) || '/' || COALESCE(h.lines, 0),
       COALESCE(w.amount, 0) || '/' || COALESCE(w.lines, 0)
FROM {RECOGNISED} h FULL OUTER JOIN want_r w USING (contract_id, currency, day)
WHERE COALESCE(h.amount, 0) <> COALESCE(w.amount, 0)
   OR COALESCE(h.lines, 0) <> COALESCE(w.lines, 0)
UNION ALL
SELECT 'scheduled', contract_id, currency, product_id || ' ' || month || ' known ' || known_from,
       COALESCE(h.amount, 0)::text, COALESCE(w.amount, 0)::text
FROM {SCHEDULED} h FULL OUTER JOIN want_s w
  USING (contract_id, product_id, currency, month, known_from)
WHERE COALESCE(h.amount, 0) <> COALESCE(w.amount, 0)
UNION ALL
SELECT 'scheduled groups', contract_id, currency, product_id || ' known ' || known_from,
       COALESCE(h.amount::text, 'none'), COALESCE(w.amount, 0)::text
FROM {SCHEDULED_GROUPS} h FULL OUTER JOIN want_g w
  USING (contract_id, product_id, currency, known_from)
WHERE COALESCE(h.amount, 0) <> COALESCE(w.amount, 0) OR (h.amount IS NULL AND w.amount IS NOT NULL)
UNION ALL
SELECT 'scheduled months', NULL, currency, month || ' known ' || known_from,
       COALESCE(h.amount, 0)::text, COALESCE(w.amount, 0)::text
FROM (SELECT currency, month, known_from, sum(amount) AS amount FROM {SCHEDULED_MONTHS}
      GROUP BY 1, 2, 3) h
FULL OUTER JOIN want_m w USING (currency, month, known_from)
WHERE COALESCE(h.amount, 0) <> COALESCE(w.amount, 0)
"""
