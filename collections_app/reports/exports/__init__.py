"""Finance exports of the AR reports: CSV and XLSX (openpyxl), each one logged.

Who may export is checked at the edge (`collections_app.export_finance_reports`: Finance,
Auditor, Admin). `log_export` records who exported which report with which parameters
and how many rows, in ExportLog; nothing about the customers goes to the application log.

Cells that a spreadsheet would read as a formula (text starting with =, +, -, @, tab or
carriage return, e.g. a customer named "=HYPERLINK(...)") are prefixed with an
apostrophe, so an export can never run code on the reader's machine.

Two ways out, one writer:

- **Direct download** for the bounded exports: the aging summary (one row per customer
  and currency, the same aggregate the page has just shown) and one customer's documents
  (the drill-down). They are built in the request by `render`.
- **Export job** (export_jobs.py) for every open document of every customer (a million
  invoices take minutes to write): `request_export` records an ExportJob and queues the
  Celery task, which calls `build_export`: rows stream from the database (`.iterator(chunk_size)`,
  server-side cursors), go through the same writers into a scratch file (XLSX in
  openpyxl's write-only mode), and progress (rows done / rows total) is saved every
  chunk. The file goes to the default storage under exports/<job id>/, for the user who
  asked (or an Admin); the ExportLog entry is written when the file is stored. Any report
  may be run as a job (the API offers all of them).
"""

from __future__ import annotations

import csv
import heapq
import io
import itertools
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.db import connection
from django.db.models import Count, F, Window
from django.db.models.functions import Collate, Lower

from core.money import minor_unit

from ..aging import (
    AgingParams,
    ar_aging,
    bucket_index,
)
from ..aging_documents import (
    open_documents,
)
from .log import file_name, log_export
from .tables import (
    Table,
    _plain,
    _safe_text,
    aging_documents_table,
    aging_parameters,
    aging_summary_table,
    documents_header,
    documents_title,
)

logger = logging.getLogger(__name__)


REPORTS = {"aging", "aging_documents"}


FORMATS = {"csv", "xlsx"}


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


CHUNK_ROWS = 5000  # rows fetched per round trip, and between two progress saves


# --- Every open document, streamed ------------------------------------------------------


@dataclass
class RowSource:
    """What a file is written from: its parts, the rows as an iterator, and how many."""

    title: str
    parameters: list[tuple[str, str]]
    notes: list[str]
    header: list[str]
    rows: Iterator[list]
    rows_total: int
    data_rows: int  # for the log: rows about customers/documents


def _code_point_order(expression):
    """Text compared by code point, as Python compares str (UTF-8 bytes in "C" order)."""
    return Collate(expression, "C" if connection.vendor == "postgresql" else "BINARY")


def _with_total(rows: Iterator[dict]) -> tuple[int, Iterator[dict]]:
    """Each row carries the query's row count (a window count): read it off the first."""
    first = next(rows, None)
    if first is None:
        return 0, iter(())
    return first["rows_total"], itertools.chain([first], rows)


def document_rows(params: AgingParams, *, account_id: int | None = None) -> RowSource:
    """The documents export (aging_documents_table) with bounded memory: the same rows,
    from the same querysets as the aging's `aging_documents` (aging_documents.open_documents),
    streamed from three server-side cursors (invoices, payments with unapplied cash,
    credit notes with credit on account) merged on (customer name, account, currency),
    in that order within a customer and currency.

    Customer names sort by their lower-cased text in code point order. aging_documents
    sorts by Python's casefold(), which differs only for a few letters (e.g. German ß), so
    the two orders can differ for such names; the rows and figures are the same."""
    d = params.as_of
    sort_name = _code_point_order(Lower("account__legal_name"))
    total = Window(Count("pk"))
    open_docs = open_documents(params, account_id=account_id)
    invoices, payments, credit_notes = (
        open_docs.invoices,
        open_docs.payments,
        open_docs.credit_notes,
    )
    currency_order = _code_point_order(F("currency"))
    invoices = (
        invoices.annotate(sort_name=sort_name, rows_total=total)
        .order_by(sort_name, "account_id", currency_order, params.basis, "id")
        .values(
            "sort_name",
            "rows_total",
            "account_id",
            "account__legal_name",
            "number",
            "currency",
            "invoice_date",
            "due_date",
            "total_amount",
            "credited_to_date",
            "paid_to_date",
            "open_to_date",
        )
    )
    payments = (
        payments.annotate(sort_name=sort_name, rows_total=total)
        .order_by(sort_name, "account_id", currency_order, "received_date", "id")
        .values(
            "sort_name",
            "rows_total",
            "account_id",
            "account__legal_name",
            "reference",
            "currency",
            "received_date",
            "amount",
            "applied_to_date",
            "refunded_to_date",
            "unapplied",
        )
    )
    credit_notes = (
        credit_notes.annotate(
            sort_name=_code_point_order(Lower("invoice__account__legal_name")), rows_total=total
        )
        .order_by(F("sort_name"), "invoice__account_id", currency_order, "credit_date", "id")
        .values(
            "sort_name",
            "rows_total",
            "invoice__account_id",
            "invoice__account__legal_name",
            "number",
            "currency",
            "credit_date",
            "on_account_amount",
            "applied_to_date",
            "refunded_to_date",
            "unapplied",
        )
    )
    invoice_total, invoice_rows = _with_total(invoices.iterator(chunk_size=CHUNK_ROWS))
    payment_total, payment_rows = _with_total(payments.iterator(chunk_size=CHUNK_ROWS))
    note_total, note_rows = _with_total(credit_notes.iterator(chunk_size=CHUNK_ROWS))
    labels = {b.index: b.label for b in params.buckets}

    def invoice_cells(row: dict) -> tuple[tuple, list]:
        days = (d - row[params.basis]).days
        key = (row["sort_name"], row["account_id"], row["currency"], 0)
        return key, [
            row["account_id"],
            row["account__legal_name"],
            "invoice",
            row["number"],
            row["currency"],
            row["invoice_date"],
            row["due_date"],
            days,
            labels[bucket_index(days, params.edges)],
            row["total_amount"],
            row["credited_to_date"],
            row["paid_to_date"],
            Decimal(0),
            row["open_to_date"],
        ]

    def payment_cells(row: dict) -> tuple[tuple, list]:
        key = (row["sort_name"], row["account_id"], row["currency"], 1)
        return key, [
            row["account_id"],
            row["account__legal_name"],
            "payment",
            row["reference"],
            row["currency"],
            row["received_date"],
            None,
            None,
            "Unapplied credits",
            row["amount"],
            Decimal(0),
            row["applied_to_date"],
            row["refunded_to_date"],
            -row["unapplied"],
        ]

    def credit_note_cells(row: dict) -> tuple[tuple, list]:
        key = (row["sort_name"], row["invoice__account_id"], row["currency"], 2)
        return key, [
            row["invoice__account_id"],
            row["invoice__account__legal_name"],
            "credit_note",
            row["number"],
            row["currency"],
            row["credit_date"],
            None,
            None,
            "Unapplied credits",
            row["on_account_amount"],
            Decimal(0),
            row["applied_to_date"],
            row["refunded_to_date"],
            -row["unapplied"],
        ]

    merged = heapq.merge(
        map(invoice_cells, invoice_rows),
        map(payment_cells, payment_rows),
        map(credit_note_cells, note_rows),
        key=lambda keyed: keyed[0],
    )
    rows_total = invoice_total + payment_total + note_total
    return RowSource(
        title=documents_title(params),
        parameters=aging_parameters(params),
        notes=[],
        header=documents_header(params),
        rows=(cells for _, cells in merged),
        rows_total=rows_total,
        data_rows=rows_total,
    )


def table_rows(table: Table) -> RowSource:
    return RowSource(
        title=table.title,
        parameters=table.parameters,
        notes=table.notes,
        header=table.header,
        rows=iter(table.rows),
        rows_total=len(table.rows),
        data_rows=table.data_rows,
    )


def export_rows(report: str, params: AgingParams, *, account_id: int | None = None) -> RowSource:
    if report == "aging":
        return table_rows(aging_summary_table(ar_aging(params, account_id=account_id)))
    return document_rows(params, account_id=account_id)


# --- Writers ---------------------------------------------------------------------------


class _CsvWriter:
    """One header line, then the rows: a file for machines (parameters are in the log and
    in the file name). UTF-8 with a BOM so that spreadsheet programs read the names."""

    def __init__(self, out: BinaryIO, source: RowSource):
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        self.text.write("\ufeff")
        self.writer = csv.writer(self.text, lineterminator="\r\n")
        self.writer.writerow(source.header)
        header = source.header
        self.currency_at = header.index("currency") if "currency" in header else None

    def write(self, row: Sequence) -> None:
        currency = row[self.currency_at] if self.currency_at is not None else None
        self.writer.writerow([_plain(cell, currency) for cell in row])

    def close(self) -> None:
        self.text.flush()
        self.text.detach()  # the caller's file stays open


def _column_width(name: str) -> int:
    if name in {"customer", "account_name"}:
        return 36
    if name in {"reference", "row_type"}:
        return 18
    return min(max(len(name) + 2, 12), 24)


class _XlsxWriter:
    """openpyxl's write-only workbook: rows go to a temporary file as they come, so a
    million rows do not sit in memory. Title, parameters and notes above the table,
    header bold and frozen, amounts with their currency's decimals, totals rows bold."""

    def __init__(self, out: BinaryIO, source: RowSource):
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.out = out
        self.cell_class = WriteOnlyCell
        self.bold = Font(bold=True)
        self.workbook = Workbook(write_only=True)
        self.sheet = self.workbook.create_sheet("Report")
        header = source.header
        self.currency_at = header.index("currency") if "currency" in header else None
        self.formats: dict[str | None, str] = {}
        for index, name in enumerate(header, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = _column_width(name)
        header_row = 1 + len(source.parameters) + len(source.notes) + 1 + 1
        self.sheet.freeze_panes = f"A{header_row + 1}"
        title = WriteOnlyCell(self.sheet, value=source.title)
        title.font = Font(bold=True, size=13)
        self.sheet.append([title])
        for name, value in source.parameters:
            self.sheet.append([name, value])
        for note in source.notes:
            self.sheet.append([note])
        self.sheet.append([])
        self.sheet.append([self._cell(name, bold=True) for name in header])

    def _cell(self, value, *, bold: bool = False, number_format: str | None = None):
        cell = self.cell_class(self.sheet, value=value)
        if bold:
            cell.font = self.bold
        if number_format:
            cell.number_format = number_format
        return cell

    def _amount_format(self, currency: str | None) -> str:
        if currency not in self.formats:
            places = minor_unit(currency) if currency else 2
            self.formats[currency] = "#,##0" + ("." + "0" * places if places else "")
        return self.formats[currency]

    def write(self, row: Sequence) -> None:
        currency = row[self.currency_at] if self.currency_at is not None else None
        bold = bool(row) and row[0] in {"currency_total", "reporting_total"}
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                cells.append(
                    self._cell(value, bold=bold, number_format=self._amount_format(currency))
                )
            elif isinstance(value, date):
                cells.append(self._cell(value, bold=bold, number_format="yyyy-mm-dd"))
            else:
                if isinstance(value, str):
                    value = _safe_text(value)
                cells.append(self._cell(value, bold=True) if bold else value)
        self.sheet.append(cells)

    def close(self) -> None:
        self.workbook.save(self.out)


def write_rows(
    out: BinaryIO,
    file_format: str,
    source: RowSource,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Write `source` to `out` as CSV or XLSX; `on_progress(rows written)` after every
    CHUNK_ROWS rows. Returns the number of rows written."""
    writer = (_CsvWriter if file_format == "csv" else _XlsxWriter)(out, source)
    written = 0
    for row in source.rows:
        writer.write(row)
        written += 1
        if on_progress and written % CHUNK_ROWS == 0:
            on_progress(written)
    writer.close()
    return written


def write_csv(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_rows(buffer, "csv", table_rows(table))
    return buffer.getvalue()


def write_xlsx(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_rows(buffer, "xlsx", table_rows(table))
    return buffer.getvalue()


def render(table: Table, file_format: str) -> bytes:
    return write_csv(table) if file_format == "csv" else write_xlsx(table)


__all__ = [
    "CHUNK_ROWS",
    "CONTENT_TYPES",
    "FORMATS",
    "REPORTS",
    "RowSource",
    "Table",
    "aging_documents_table",
    "aging_parameters",
    "aging_summary_table",
    "document_rows",
    "documents_header",
    "documents_title",
    "export_rows",
    "file_name",
    "log_export",
    "logger",
    "render",
    "table_rows",
    "write_csv",
    "write_rows",
    "write_xlsx",
]
