"""The export log: who exported what, when, and the file name they got."""

from __future__ import annotations

from django.db import transaction

from collections_app.models import ExportLog

# --- The log -----------------------------------------------------------------------------


@transaction.atomic
def log_export(*, user, report: str, file_format: str, parameters: dict, rows: int) -> ExportLog:
    return ExportLog.objects.create(
        user=user, report=report, file_format=file_format, parameters=parameters, row_count=rows
    )


def file_name(report: str, parameters: dict, file_format: str) -> str:
    stamp = parameters.get("as_of") or parameters.get("end") or ""
    suffix = f"-account-{parameters['account']}" if parameters.get("account") else ""
    return f"ledgerline-{report.replace('_', '-')}-{stamp}{suffix}.{file_format}"
