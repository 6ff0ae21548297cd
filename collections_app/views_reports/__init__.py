"""AR report pages under /collections/: aging (with drill-down and exports), DSO, and the
open-AR import. Views check permissions (collections_app.reports.access), read through
the report selectors and write only through `import_open_ar` and `request_export`.

Exports: the aging summary and one customer's documents download directly (bounded:
rows per customer, or one customer's documents); every open document of every customer
is an export job (exports.py), built by a Celery worker while its page shows progress
and then the download link.

Split by domain into `aging`, `common`, `dso`, `imports`, `jobs`; everything is re-exported here.
"""

from .aging import EXPORT_REPORTS, DisplayRow, aging, aging_account, aging_export
from .common import CSS, ROWS_PER_CURRENCY, amount_text, logger
from .dso import dso
from .imports import import_open_ar_page
from .jobs import export_job, export_job_download, export_job_status, export_jobs, job_progress

__all__ = [
    "CSS",
    "DisplayRow",
    "EXPORT_REPORTS",
    "ROWS_PER_CURRENCY",
    "aging",
    "aging_account",
    "aging_export",
    "amount_text",
    "dso",
    "export_job",
    "export_job_download",
    "export_job_status",
    "export_jobs",
    "import_open_ar_page",
    "job_progress",
    "logger",
]
