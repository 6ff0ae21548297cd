"""Finance export tables: the aging summary and the aging documents, as rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.money import minor_unit

from ..aging import (
    AgingParams,
    AgingReport,
)
from ..aging_documents import (
    AgingDocument,
)

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
        parameters=aging_parameters(report.params),
        header=header,
        rows=rows,
        data_rows=data_rows,
        notes=notes,
    )


def documents_header(params: AgingParams) -> list[str]:
    days_label = "days_past_due" if params.basis == "due_date" else "days_since_invoice_date"
    return [
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


def documents_title(params: AgingParams) -> str:
    return f"AR aging documents as of {params.as_of.isoformat()}"


def aging_documents_table(report: AgingReport, documents: Sequence[AgingDocument]) -> Table:
    labels = {b.index: b.label for b in report.buckets}
    header = documents_header(report.params)
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
        title=documents_title(report.params),
        parameters=aging_parameters(report.params),
        header=header,
        rows=rows,
        data_rows=len(rows),
        notes=[],
    )


def aging_parameters(p: AgingParams) -> list[tuple[str, str]]:
    return [
        ("As of", p.as_of.isoformat()),
        ("Basis", "due date" if p.basis == "due_date" else "invoice date"),
        ("Bucket edges (days)", ",".join(str(e) for e in p.edges)),
        ("Currency", p.currency or "all"),
        ("Reporting currency", p.reporting_currency),
    ]
