"""CSV and XLSX exports of the revenue reports, each one logged in ExportLog.

Who may export is checked at the edge (`revenue.export_revenue_reports`: Finance, Auditor,
Admin). Text a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
prefixed with an apostrophe, so an export never runs code on the reader's machine.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
    rows: list[list]
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
    rows = [
        [r.reference, r.account_name, r.product, r.before, *r.months, r.after, r.total]
        for r in report.rows
    ]
    before, columns, after, total = report.column_totals()
    rows.append(["Total", "", "", before, *columns, after, total])
    return Table(
        f"Revenue waterfall ({report.currency}) as of {report.as_of.isoformat()}",
        header,
        rows,
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
    rows = [
        [
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
        for r in report.rows
    ]
    t = report.totals()
    rows.append(
        [
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
    )
    return Table(
        f"Deferred revenue roll-forward ({report.currency}) {report.start} – {report.end}",
        header,
        rows,
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
    rows = [
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
    ]
    return Table(
        f"Contract balances ({currency}) as of {as_of.isoformat()}",
        header,
        rows,
        currency,
        len(rows),
    )


def journal_table(lines: list[JournalLine], start: date, end: date) -> Table:
    return Table(
        f"Revenue journal {start} – {end}",
        list(JOURNAL_HEADER),
        [line.cells() for line in lines],
        None,
        len(lines),
    )


def _places(table: Table, row: list) -> int:
    currency = table.currency
    if currency is None and "Currency" in table.header:
        currency = row[table.header.index("Currency")]
    return minor_unit(currency) if currency else 2


def write_csv(table: Table) -> bytes:
    """A header line, then the rows. UTF-8 with a BOM so spreadsheets read the names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        places = _places(table, row)
        writer.writerow([_text(cell, places) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Report"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(table.header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        places = _places(table, row)
        number_format = "#,##0" + ("." + "0" * places if places else "")
        sheet.append([_safe(v) if isinstance(v, str) else v for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Decimal):
                cell.number_format = number_format
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
        if row and row[0] == "Total":
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, file_format: str) -> bytes:
    return write_csv(table) if file_format == "csv" else write_xlsx(table)


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
