"""A statement of account as PDF (WeasyPrint, nothing fetched) or CSV."""

from __future__ import annotations

import csv
import io

from django.template.loader import render_to_string

from billing.models import LegalEntity
from collections_app.statements.selectors import Statement
from core.money import format_money


def _money(statement: Statement):
    return lambda amount: format_money(amount, statement.currency) if amount else ""


def statement_pdf_bytes(statement: Statement) -> bytes:
    from weasyprint import HTML  # imported here: 0.5 s that web processes rarely need
    from weasyprint.urls import URLFetcher

    money = _money(statement)
    html = render_to_string(
        "collections/statements/statement_pdf.html",
        {
            "s": statement,
            "seller": LegalEntity.objects.filter(is_default=True).first(),
            "opening": format_money(statement.opening, statement.currency),
            "closing": format_money(statement.closing, statement.currency),
            "rows": [
                {
                    "line": line,
                    "debit": money(line.debit),
                    "credit": money(line.credit),
                    "balance": format_money(line.balance, statement.currency),
                }
                for line in statement.lines
            ],
            "aging": [
                (label, format_money(amount, statement.currency))
                for label, amount in zip(statement.bucket_labels, statement.buckets, strict=True)
            ],
            "unapplied": format_money(statement.unapplied_credits, statement.currency),
        },
    )
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def statement_csv(statement: Statement) -> str:
    """Amounts as plain decimals (no symbols) so that a spreadsheet adds them up."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Statement of account", statement.account.legal_name, statement.currency])
    writer.writerow(["Period", statement.start.isoformat(), statement.end.isoformat()])
    writer.writerow(["Date", "Type", "Number", "Description", "Debit", "Credit", "Balance"])
    writer.writerow([statement.start.isoformat(), "Opening balance", "", "", "", "",
                     f"{statement.opening:f}"])  # fmt: skip
    for line in statement.lines:
        writer.writerow(
            [
                line.day.isoformat(),
                line.kind,
                line.number,
                _safe(line.description),
                f"{line.debit:f}" if line.debit else "",
                f"{line.credit:f}" if line.credit else "",
                f"{line.balance:f}",
            ]
        )
    writer.writerow([statement.end.isoformat(), "Closing balance", "", "", "", "",
                     f"{statement.closing:f}"])  # fmt: skip
    return out.getvalue()


def _safe(text: str) -> str:
    """No spreadsheet formula injection from free text (a reason typed by a user)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
