"""Baselines for bench/billing_run.py: the rows a billing run wrote, written again by plain
means into ordinary tables built like ours, so the run's ratio says what its own work
costs beyond the writes every billing run must make.

What the run writes, per chunk of contracts in one transaction: the invoices, their lines,
a history row per invoice, and the link from each schedule line to its invoice line
(status billed). The baselines write exactly those rows, chunk by chunk with a commit each
(as the run does, so both pay the same WAL flushes), into copies of the tables made with
`CREATE TABLE ... (LIKE ... INCLUDING ALL)` (columns, defaults, checks, indexes), the same
foreign keys (deferred, checked at commit, as Django declares them) and the same trigger
functions. The copy of the schedule lines holds every schedule line of the book, so its
indexes are as deep as the real table's.

- multi-row INSERT: one `INSERT ... VALUES (...), (...)` per table and chunk, and one
  `UPDATE ... FROM (VALUES ...)` for the links;
- COPY: `COPY ... FROM STDIN` per table and chunk; the links go through COPY into a
  temporary table and one `UPDATE ... FROM` it.

Each repeat starts from empty copies (truncated, vacuumed), so repeats are comparable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg.types.json import Jsonb

TABLES = {  # the run's table -> its baseline copy
    "billing_invoice": "bench_invoice",
    "billing_invoiceline": "bench_invoiceline",
    "billing_historicalinvoice": "bench_historicalinvoice",
    "billing_billingscheduleline": "bench_scheduleline",
}
LINK_FK = "bench_scheduleline_invoice_line_fk"
MAX_PARAMS = 65535  # PostgreSQL's limit of parameters per statement


@dataclass
class Chunk:
    invoices: list[tuple] = field(default_factory=list)
    lines: list[tuple] = field(default_factory=list)
    history: list[tuple] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)  # schedule line, invoice line


@dataclass
class RunRows:
    columns: dict[str, list[str]]  # baseline table -> its columns, in table order
    chunks: list[Chunk]

    @property
    def row_count(self) -> int:
        return sum(
            len(c.invoices) + len(c.lines) + len(c.history) + len(c.links) for c in self.chunks
        )


def _json_ready(row: tuple) -> tuple:
    return tuple(Jsonb(v) if isinstance(v, dict | list) else v for v in row)


def run_rows(raw, run_id: int, chunk_size: int) -> RunRows:
    """Every row the run `run_id` wrote, in the chunks it wrote them (invoices in id order,
    `chunk_size` invoices a chunk: one invoice per contract here)."""
    columns: dict[str, list[str]] = {}

    def fetch(table: str, sql: str) -> list[tuple]:
        with raw.cursor() as cursor:
            cursor.execute(sql, [run_id])
            columns[TABLES[table]] = [d.name for d in cursor.description]
            return [_json_ready(row) for row in cursor.fetchall()]

    invoices = fetch(
        "billing_invoice", "SELECT * FROM billing_invoice WHERE billing_run_id = %s ORDER BY id"
    )
    lines = fetch(
        "billing_invoiceline",
        "SELECT l.* FROM billing_invoiceline l JOIN billing_invoice i ON i.id = l.invoice_id "
        "WHERE i.billing_run_id = %s ORDER BY l.id",
    )
    history = fetch(
        "billing_historicalinvoice",
        "SELECT * FROM billing_historicalinvoice WHERE history_change_reason = "
        "'invoice.drafted_by_run:' || %s::text ORDER BY history_id",
    )
    invoice_id = columns["bench_invoiceline"].index("invoice_id")
    schedule_id = columns["bench_invoiceline"].index("schedule_line_id")
    chunk_of = {row[0]: index // chunk_size for index, row in enumerate(invoices)}
    chunks = [Chunk() for _ in range(len(invoices) // chunk_size + 1)]
    for row in invoices:
        chunks[chunk_of[row[0]]].invoices.append(row)
    history_id = columns["bench_historicalinvoice"].index("id")
    for row in history:
        chunks[chunk_of[row[history_id]]].history.append(row)
    for row in lines:
        chunk = chunks[chunk_of[row[invoice_id]]]
        chunk.lines.append(row)
        if row[schedule_id] is not None:
            chunk.links.append((row[schedule_id], row[0]))
    return RunRows(columns=columns, chunks=[c for c in chunks if c.invoices])


def create_tables(raw, rows: RunRows) -> None:
    """Ordinary (logged) copies of the run's tables with the same constraints, indexes,
    foreign keys and triggers; the schedule lines copied, the run's lines still pending."""
    with raw.transaction(), raw.cursor() as cursor:
        for source, target in TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS {target} CASCADE")
            cursor.execute(f"CREATE TABLE {target} (LIKE {source} INCLUDING ALL)")
        cursor.execute("INSERT INTO bench_scheduleline SELECT * FROM billing_billingscheduleline")
        for source, target in TABLES.items():
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = %s::regclass ORDER BY conname",
                [source],
            )
            for index, (name, definition) in enumerate(cursor.fetchall()):
                for other_source, other_target in TABLES.items():
                    definition = definition.replace(
                        f"REFERENCES {other_source}(", f"REFERENCES {other_target}("
                    )
                constraint = LINK_FK if "invoice_line_id" in name else f"{target}_fk{index}"
                # NOT VALID: rows copied in are not re-checked; every row written is.
                cursor.execute(
                    f"ALTER TABLE {target} ADD CONSTRAINT {constraint} {definition} NOT VALID"
                )
            cursor.execute(
                "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE NOT tgisinternal AND tgrelid = %s::regclass",
                [source],
            )
            for name, definition in cursor.fetchall():
                definition = definition.replace(f" ON public.{source} ", f" ON public.{target} ")
                cursor.execute(definition.replace(f"TRIGGER {name} ", f"TRIGGER bench_{name} "))
        cursor.execute(
            "CREATE TEMP TABLE bench_links (id bigint, invoice_line_id bigint) "
            "ON COMMIT DELETE ROWS"
        )
    reset_tables(raw, rows)


def reset_tables(raw, rows: RunRows) -> None:
    """Back to before the run: copies empty, the run's schedule lines pending."""
    linked = [link[0] for chunk in rows.chunks for link in chunk.links]
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute(f"ALTER TABLE bench_scheduleline DROP CONSTRAINT {LINK_FK}")
        cursor.execute("TRUNCATE bench_invoice, bench_invoiceline, bench_historicalinvoice")
        cursor.execute(
            "UPDATE bench_scheduleline SET status = 'pending', invoice_line_id = NULL "
            "WHERE id = ANY(%s)",
            [linked],
        )
        cursor.execute(
            f"ALTER TABLE bench_scheduleline ADD CONSTRAINT {LINK_FK} FOREIGN KEY "
            "(invoice_line_id) REFERENCES bench_invoiceline(id) DEFERRABLE INITIALLY DEFERRED "
            "NOT VALID"
        )
    raw.execute("VACUUM ANALYZE " + ", ".join(TABLES.values()))


def _insert_values(cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
    per_statement = MAX_PARAMS // len(columns)
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join([row_sql] * len(batch)),
            [value for row in batch for value in row],
        )


def multi_row_insert(raw, rows: RunRows) -> float:
    reset_tables(raw, rows)
    columns = rows.columns
    start = time.perf_counter()
    for chunk in rows.chunks:
        # Server-side binding: Django's connection quotes parameters into the SQL text in
        # Python (ClientCursor), a cost the baseline need not pay.
        with raw.transaction(), psycopg.Cursor(raw) as cursor:
            _insert_values(cursor, "bench_invoice", columns["bench_invoice"], chunk.invoices)
            _insert_values(cursor, "bench_invoiceline", columns["bench_invoiceline"], chunk.lines)
            _insert_values(
                cursor,
                "bench_historicalinvoice",
                columns["bench_historicalinvoice"],
                chunk.history,
            )
            if chunk.links:
                cursor.execute(
                    "UPDATE bench_scheduleline AS s SET status = 'billed', "
                    "invoice_line_id = v.invoice_line_id FROM (VALUES "
                    + ", ".join(["(%s::bigint, %s::bigint)"] * len(chunk.links))
                    + ") AS v(id, invoice_line_id) WHERE s.id = v.id",
                    [value for link in chunk.links for value in link],
                )
    return time.perf_counter() - start


def copy_rows(raw, rows: RunRows) -> float:
    reset_tables(raw, rows)
    columns = rows.columns
    start = time.perf_counter()
    for chunk in rows.chunks:
        with raw.transaction(), raw.cursor() as cursor:
            for table, table_rows in [
                ("bench_invoice", chunk.invoices),
                ("bench_invoiceline", chunk.lines),
                ("bench_historicalinvoice", chunk.history),
            ]:
                with cursor.copy(f"COPY {table} ({', '.join(columns[table])}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
            with cursor.copy("COPY bench_links (id, invoice_line_id) FROM STDIN") as copy:
                for link in chunk.links:
                    copy.write_row(link)
            cursor.execute("ANALYZE bench_links")  # else the planner guesses a full scan
            cursor.execute(
                "UPDATE bench_scheduleline AS s SET status = 'billed', "
                "invoice_line_id = v.invoice_line_id FROM bench_links AS v WHERE s.id = v.id"
            )
    return time.perf_counter() - start
