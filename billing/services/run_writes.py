"""The bulk writes of a billing run (billing/services/runs.py): invoices and their lines by
COPY, schedule lines marked billed in one statement, history rows by INSERT ...
SELECT, and fresh table statistics as the invoice tables grow. Each is one or two round
trips per chunk, whatever the chunk's size."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.utils import timezone

from billing.models import (
    BillingRun,
    BillingScheduleLine,
    Invoice,
    InvoiceLine,
    ScheduleLineKind,
    ScheduleLineStatus,
)
from core.bulk import insert_rows


def insert_invoice_lines(lines: list[InvoiceLine]) -> None:
    """The chunk's invoice lines by COPY (`core.bulk.insert_rows`): ids from the sequence in
    the lines' order, the explanations sent as JSON text. bulk_create spent most of its time
    building the statement and quoting arrays of JSON documents in Python."""
    insert_rows(lines)


def mark_billed(invoice_lines: list[InvoiceLine], unbilled_usage: list) -> None:
    """Mark the chunk's schedule lines billed, each pointing at the invoice line that bills
    it (its id is known from the insert), in one statement. A usage line takes its billed amount and
    quantity; a usage period with no usage is billed at zero, with no invoice line."""
    rows = []  # (schedule line, invoice line, amount, quantity); None keeps the stored value
    for line in invoice_lines:
        if line.schedule_line_id is None:  # a usage drawdown, true-up or late-usage line
            continue
        usage = line.schedule_line.kind == ScheduleLineKind.USAGE
        rows.append(
            (
                line.schedule_line_id,
                line.pk,
                line.amount if usage else None,
                line.quantity if usage else None,
            )
        )
    rows.extend((line.pk, None, Decimal(0), None) for line in unbilled_usage)
    if not rows:
        return
    if connection.vendor != "postgresql":  # the SQLite demo: a plain bulk update
        _mark_billed_portably(rows)
        return
    # The due lines were locked pending; one UPDATE moves them all to billed.
    BillingScheduleLine.check_transition(ScheduleLineStatus.PENDING, ScheduleLineStatus.BILLED)
    ids, invoice_line_ids, amounts, quantities = (list(column) for column in zip(*rows))
    # The values are known: joining them in (UPDATE ... FROM unnest) replaces a correlated
    # subquery per row, whose plan joined every invoice in the table.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {connection.ops.quote_name(BillingScheduleLine._meta.db_table)} AS s
               SET status = %s,
                   invoice_line_id = COALESCE(v.invoice_line_id, s.invoice_line_id),
                   amount = COALESCE(v.amount, s.amount),
                   quantity = COALESCE(v.quantity, s.quantity)
              FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::numeric[])
                   AS v(id, invoice_line_id, amount, quantity)
             WHERE s.id = v.id
            """,
            [ScheduleLineStatus.BILLED, ids, invoice_line_ids, amounts, quantities],
        )


def _mark_billed_portably(rows: list[tuple]) -> None:
    schedules = BillingScheduleLine.objects.in_bulk([row[0] for row in rows])
    for schedule_id, invoice_line_id, amount, quantity in rows:
        schedule = schedules[schedule_id]
        schedule.transition_to(ScheduleLineStatus.BILLED)
        if invoice_line_id is not None:
            schedule.invoice_line_id = invoice_line_id
        if amount is not None:
            schedule.amount = amount
        if quantity is not None:
            schedule.quantity = quantity
    BillingScheduleLine.objects.bulk_update(
        schedules.values(), ["status", "invoice_line", "amount", "quantity"], batch_size=200
    )


def record_history(invoices: list[Invoice], run: BillingRun) -> None:
    """bulk_create skips simple-history's signals: write the 'created' records in one
    INSERT ... SELECT that copies the rows just inserted (no model instances in Python)."""
    if not invoices:
        return
    history_model = Invoice.history.model
    invoice_columns = {f.attname: f.column for f in Invoice._meta.concrete_fields}
    copied = [
        (f.column, invoice_columns[f.attname])
        for f in history_model._meta.concrete_fields
        if f.attname in invoice_columns
    ]
    quote = connection.ops.quote_name
    history = {
        "history_date": connection.ops.adapt_datetimefield_value(timezone.now()),
        "history_type": "+",
        "history_user_id": run.created_by_id,
        "history_change_reason": f"invoice.drafted_by_run:{run.pk}",
    }
    history_columns = {f.attname: f.column for f in history_model._meta.concrete_fields}
    columns = [quote(target) for target, _ in copied] + [
        quote(history_columns[name]) for name in history
    ]
    selected = [f"i.{quote(source)}" for _, source in copied] + ["%s"] * len(history)
    ids = [invoice.pk for invoice in invoices]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(selected)} FROM {quote(Invoice._meta.db_table)} AS i "
            f"WHERE i.id IN ({', '.join(['%s'] * len(ids))}) ORDER BY i.id",
            [*history.values(), *ids],
        )


class InvoiceTableStatistics:
    """Keeps PostgreSQL's statistics of the invoice tables in step with a run that grows
    them much faster than autovacuum re-analyzes them (a first run on a young book).

    Each chunk's commit checks every new line's foreign key to its invoice (and each
    schedule line's to its invoice line) with a plan that the connection prepares once and
    keeps. Prepared while the table held a few pages, that plan is a sequential scan, and
    every later chunk paid one scan of the whole, growing table per line: the run's time
    grew with the square of its size. ANALYZE renews the table's size and so those plans;
    it runs each time the run has doubled what the statistics know of (a few times in a
    first run, never once the tables are large), on the key columns only (the lines'
    JSON explanations would cost ten times as much)."""

    COLUMNS = {
        Invoice: ("id", "status", "billing_run_id"),
        InvoiceLine: ("id", "invoice_id", "schedule_line_id"),
    }

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and connection.vendor == "postgresql"
        self.known = self._estimated_invoices() if self.enabled else 0
        self.written = 0

    def invoices_written(self, count: int) -> None:
        if not self.enabled or not count:
            return
        self.written += count
        if self.written <= self.known:
            return
        quote = connection.ops.quote_name
        tables = ", ".join(
            f"{quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
            for model, columns in self.COLUMNS.items()
        )
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
        self.known = self._estimated_invoices()
        self.written = 0

    @staticmethod
    def _estimated_invoices() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                [Invoice._meta.db_table],
            )
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0
