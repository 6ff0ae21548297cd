"""CSV and XLSX exports of the revenue reports, each one logged in ExportLog.

Who may export is checked at the edge (`revenue.export_revenue_reports`: Finance, Auditor,
Admin). Text a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
prefixed with an apostrophe, so an export never runs code on the reader's machine.

Streamed like the AR exports (collections_app/reports/exports): a table's rows are an
iterator, read once; CSV goes out as a generator of chunks (StreamingHttpResponse), XLSX
is written by openpyxl's write-only workbook into a temporary file that is then streamed
(FileResponse). No whole workbook or whole file sits in memory.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from django.http import FileResponse, StreamingHttpResponse

from core import export_log
from core.money import minor_unit

from .journal import HEADER as JOURNAL_HEADER
from .journal import JournalLine
from .selectors import ContractBalance, RollForward, Waterfall

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
REPORTS = ("waterfall", "rollforward", "balances", "journal")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    title: str
    header: list[str]
    rows: Iterable[list]  # read once, as the file is written
    currency: str | None  # all amounts in one currency (None: per row, column "Currency")
    data_rows: int


def _safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _text(value, places: int) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    if isinstance(value, date):
        return value.isoformat()
    return _safe(str(value))


def waterfall_table(report: Waterfall) -> Table:
    months = [m.strftime("%Y-%m") for m in report.months]
    header = ["Contract", "Customer", "Product", "Before", *months, "After", "Total"]

    def rows() -> Iterator[list]:
        for r in report.rows:
            yield [r.reference, r.account_name, r.product, r.before, *r.months, r.after, r.total]
        before, columns, after, total = report.column_totals()
        yield ["Total", "", "", before, *columns, after, total]

    return Table(
        f"Revenue waterfall ({report.currency}) as of {report.as_of.isoformat()}",
        header,
        rows(),
        report.currency,
        len(report.rows),
    )


def rollforward_table(report: RollForward) -> Table:
    header = [
        "Contract",
        "Customer",
        "Opening balance",
        "Billed",
        "Recognised",
        "To refund liability",
        "Closing balance",
        "Closing deferred revenue",
        "Closing unbilled (contract asset)",
    ]

    def rows() -> Iterator[list]:
        for r in report.rows:
            yield [
                r.reference,
                r.account_name,
                r.opening,
                r.billed,
                r.recognised,
                r.refund_change,
                r.closing,
                r.closing_deferred,
                r.closing_unbilled,
            ]
        t = report.totals()
        yield [
            "Total",
            "",
            t["opening"],
            t["billed"],
            t["recognised"],
            t["refund_change"],
            t["closing"],
            t["closing_deferred"],
            t["closing_unbilled"],
        ]

    return Table(
        f"Deferred revenue roll-forward ({report.currency}) {report.start} – {report.end}",
        header,
        rows(),
        report.currency,
        len(report.rows),
    )


def balances_table(balances: list[ContractBalance], as_of: date, currency: str) -> Table:
    header = [
        "Contract",
        "Customer",
        "Billed",
        "Recognised",
        "Refund liability",
        "Net position",
        "Deferred revenue (contract liability)",
        "Unbilled (contract asset)",
        "Position",
    ]
    rows = (
        [
            b.reference,
            b.account_name,
            b.billed,
            b.recognised,
            b.refund_liability,
            b.net_position,
            b.deferred_revenue,
            b.unbilled,
            b.position,
        ]
        for b in balances
    )
    return Table(
        f"Contract balances ({currency}) as of {as_of.isoformat()}",
        header,
        rows,
        currency,
        len(balances),
    )


def journal_table(lines: list[JournalLine], start: date, end: date) -> Table:
    return Table(
        f"Revenue journal {start} – {end}",
        list(JOURNAL_HEADER),
        (line.cells() for line in lines),
        None,
        len(lines),
    )


def _places(table: Table, row: list) -> int:
    currency = table.currency
    if currency is None and "Currency" in table.header:
        currency = row[table.header.index("Currency")]
    return minor_unit(currency) if currency else 2


CSV_CHUNK_ROWS = 500  # rows per chunk handed to the web server


def csv_chunks(table: Table) -> Iterator[bytes]:
    """A header line, then the rows, as UTF-8 chunks of a few hundred rows. With a BOM so
    spreadsheets read the names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(table.header)
    for count, row in enumerate(table.rows, start=1):
        places = _places(table, row)
        writer.writerow([_text(cell, places) for cell in row])
        if count % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def write_csv(table: Table) -> bytes:
    return b"".join(csv_chunks(table))


def write_xlsx_to(table: Table, out: BinaryIO) -> None:
    """The title, a blank row, the header (bold, frozen), then the rows: amounts with their
    currency's decimals, dates as dates, "Total" rows bold. openpyxl's write-only
    workbook keeps rows in a temporary file, not in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")
    bold = Font(bold=True)

    def cell(value, *, font=None, number_format=None):
        written = WriteOnlyCell(sheet, value=value)
        if font is not None:
            written.font = font
        if number_format:
            written.number_format = number_format
        return written

    header_row = 3
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append([cell(table.title, font=Font(bold=True, size=13))])
    sheet.append([])
    sheet.append([cell(name, font=bold) for name in table.header])
    for row in table.rows:
        places = _places(table, row)
        number_format = "#,##0" + ("." + "0" * places if places else "")
        font = bold if row and row[0] == "Total" else None
        cells = []
        for value in row:
            if isinstance(value, Decimal):
                cells.append(cell(value, font=font, number_format=number_format))
            elif isinstance(value, date):
                cells.append(cell(value, font=font, number_format="yyyy-mm-dd"))
            else:
                cells.append(cell(_safe(value) if isinstance(value, str) else value, font=font))
        sheet.append(cells)
    workbook.save(out)


def write_xlsx(table: Table) -> bytes:
    buffer = io.BytesIO()
    write_xlsx_to(table, buffer)
    return buffer.getvalue()


def render(table: Table, file_format: str) -> bytes:
    return write_csv(table) if file_format == "csv" else write_xlsx(table)


def streaming_response(table: Table, file_format: str, name: str) -> StreamingHttpResponse:
    """The file as a download, streamed: CSV chunk by chunk as the rows are read, XLSX
    from the temporary file it was written to (closed when the response is)."""
    if file_format == "csv":
        response = StreamingHttpResponse(csv_chunks(table), content_type=CONTENT_TYPES["csv"])
    else:
        scratch = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
        write_xlsx_to(table, scratch)
        scratch.seek(0)
        response = FileResponse(scratch, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def log_export(*, user, report: str, file_format: str, parameters: dict, rows: int):
    """In the one export log, named `revenue_<report>` beside the AR reports."""
    return export_log.log_export(
        user=user,
        report=f"revenue_{report}",
        file_format=file_format,
        parameters=parameters,
        rows=rows,
    )


def file_name(report: str, parameters: dict, file_format: str) -> str:
    stamp = parameters.get("as_of") or parameters.get("end") or ""
    currency = parameters.get("currency") or "all"
    return f"ledgerline-revenue-{report}-{currency}-{stamp}.{file_format}"
