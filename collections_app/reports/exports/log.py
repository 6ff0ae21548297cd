"""The AR exports' file names; the log itself is `core.export_log` (one for every app)."""

from __future__ import annotations

from core.export_log import log_export

__all__ = ["file_name", "log_export"]


def file_name(report: str, parameters: dict, file_format: str) -> str:
    stamp = parameters.get("as_of") or parameters.get("end") or ""
    suffix = f"-account-{parameters['account']}" if parameters.get("account") else ""
    return f"ledgerline-{report.replace('_', '-')}-{stamp}{suffix}.{file_format}"
