"""Finance exports of the AR reports: CSV and XLSX (openpyxl), each one logged.

Who may export is checked at the edge (`collections_app.export_finance_reports`: Finance,
Auditor, Admin). `log_export` records who exported which report with which parameters
and how many rows, in ExportLog; nothing about the customers goes to the application log.

Cells that a spreadsheet would read as a formula (text starting with =, +, -, @, tab or
carriage return, e.g. a customer named "=HYPERLINK(...)") are prefixed with an
apostrophe, so an export can never run code on the reader's machine.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction

from billing.money import minor_unit
from collections_app.models import ExportLog

from .aging import AgingDocument, AgingReport

FORMATS = {"csv", "xlsx"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """What an export writes: a title, parameter lines, a header and rows of cells."""

    title: str
    parameters: list[tuple[str, str]]
    header: list[str]
    rows: list[list]
    data_rows: int  # rows about customers/documents (totals rows not counted)
    notes: list[str]


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _plain(value, currency: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        places = minor_unit(currency) if currency else 2
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    if isinstance(value, date):
        return value.isoformat()
    return _safe_text(str(value))


# --- Tables --------------------------------------------------------------------------


def aging_summary_table(report: AgingReport) -> Table:
    params = report.params
    labels = [b.label for b in report.buckets]
    header = [
        "row_type",
        "currency",
        "account_id",
        "customer",
        *labels,
        "Unapplied credits",
        "Open total",
        "Net total",
    ]
    rows: list[list] = []
    data_rows = 0
    for table in report.currencies:
        for row in table.rows:
            rows.append(
                [
                    "customer",
                    row.currency,
                    row.account_id,
                    row.account_name,
                    *row.buckets,
                    row.unapplied_credits,
                    row.open_total,
                    row.net_total,
                ]
            )
            data_rows += 1
        rows.append(
            [
                "currency_total",
                table.currency,
                "",
                f"Total {table.currency}",
                *table.buckets,
                table.unapplied_credits,
                table.open_total,
                table.net_total,
            ]
        )
    notes = []
    if report.reporting:
        r = report.reporting
        rows.append(
            [
                "reporting_total",
                r.currency,
                "",
                f"Total in {r.currency} at as-of rates",
                *r.buckets,
                r.unapplied_credits,
                r.open_total,
                r.net_total,
            ]
        )
        notes.append("Rates: " + "; ".join(str(rate) for rate in r.rates))
    elif report.missing_rates:
        notes.append(report.missing_rate_message)
    return Table(
        title=f"AR aging as of {params.as_of.isoformat()}",
        parameters=_aging_parameters(report),
        header=header,
        rows=rows,
        data_rows=data_rows,
        notes=notes,
    )


def aging_documents_table(report: AgingReport, documents: Sequence[AgingDocument]) -> Table:
    labels = {b.index: b.label for b in report.buckets}
    days_label = "days_past_due" if report.params.basis == "due_date" else "days_since_invoice_date"
    header = [
        "account_id",
        "customer",
        "kind",
        "reference",
        "currency",
        "document_date",
        "due_date",
        days_label,
        "bucket",
        "amount",
        "credited_to_date",
        "applied_to_date",
        "refunded_to_date",
        "open_amount",
    ]
    rows = [
        [
            doc.account_id,
            doc.account_name,
            doc.kind,
            doc.reference,
            doc.currency,
            doc.document_date,
            doc.due_date,
            doc.days,
            labels.get(doc.bucket, "Unapplied credits"),
            doc.amount,
            doc.credited,
            doc.settled,
            doc.refunded,
            doc.open_amount,
        ]
        for doc in documents
    ]
    return Table(
        title=f"AR aging documents as of {report.params.as_of.isoformat()}",
        parameters=_aging_parameters(report),
        header=header,
        rows=rows,
        data_rows=len(rows),
        notes=[],
    )


def _aging_parameters(report: AgingReport) -> list[tuple[str, str]]:
    p = report.params
    return [
        ("As of", p.as_of.isoformat()),
        ("Basis", "due date" if p.basis == "due_date" else "invoice date"),
        ("Bucket edges (days)", ",".join(str(e) for e in p.edges)),
        ("Currency", p.currency or "all"),
        ("Reporting currency", p.reporting_currency),
    ]


# --- Writers ---------------------------------------------------------------------------


def _currency_of(header: Sequence[str], row: Sequence) -> str | None:
    return row[header.index("currency")] if "currency" in header else None


def write_csv(table: Table) -> bytes:
    """One header line, then the rows: a file for machines (parameters are in the log and
    in the file name). UTF-8 with a BOM so that spreadsheet programs read the names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        currency = _currency_of(table.header, row)
        writer.writerow([_plain(cell, currency) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(table: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Report"
    sheet.append([table.title])
    sheet["A1"].font = Font(bold=True, size=13)
    for name, value in table.parameters:
        sheet.append([name, value])
    for note in table.notes:
        sheet.append([note])
    sheet.append([])
    sheet.append(table.header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in table.rows:
        currency = _currency_of(table.header, row)
        places = minor_unit(currency) if currency else 2
        number_format = "#,##0" + ("." + "0" * places if places else "")
        cells = []
        for value in row:
            if isinstance(value, str):
                value = _safe_text(value)
            cells.append(value)
        sheet.append(cells)
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Decimal):
                cell.number_format = number_format
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
        if row and row[0] in {"currency_total", "reporting_total"}:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for column in sheet.columns:
        letter = column[0].column_letter
        width = max((len(str(c.value)) for c in column[header_row - 1 :] if c.value), default=8)
        sheet.column_dimensions[letter].width = min(max(width + 2, 10), 48)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, file_format: str) -> bytes:
    return write_csv(table) if file_format == "csv" else write_xlsx(table)


@transaction.atomic
def log_export(*, user, report: str, file_format: str, parameters: dict, rows: int) -> ExportLog:
    return ExportLog.objects.create(
        user=user, report=report, file_format=file_format, parameters=parameters, row_count=rows
    )


def file_name(report: str, parameters: dict, file_format: str) -> str:
    stamp = parameters.get("as_of") or parameters.get("end") or ""
    suffix = f"-account-{parameters['account']}" if parameters.get("account") else ""
    return f"ledgerline-{report.replace('_', '-')}-{stamp}{suffix}.{file_format}"
