"""The one export log: who exported which report, with which parameters, when.

Finance exports carry customer data, so every download and export job writes one row.
The log's model is named by a setting (`LEDGERLINE_EXPORT_LOG_MODEL`, the way Django names
its user model), so that any app can log an export without importing the app that keeps
the log.
"""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.db import transaction


def export_log_model():
    return apps.get_model(settings.LEDGERLINE_EXPORT_LOG_MODEL)


@transaction.atomic
def log_export(*, user, report: str, file_format: str, parameters: dict, rows: int):
    """Records one export; returns the log row."""
    return export_log_model().objects.create(
        user=user, report=report, file_format=file_format, parameters=parameters, row_count=rows
    )
