"""REST API of the AR reports under /api/v1/reports/: aging (summary and one customer's
documents), DSO, and export jobs (ask for an export, follow it, fetch its file).

Role checks are the pages' (collections_app.reports.access): the aging for whoever reads
invoices and payments (Finance, Auditor, Admin, Order Specialist), DSO for Finance,
Auditor and Admin; others get 403. Export jobs need the export permission (Finance,
Auditor, Admin), and a job is visible to the user who asked for it and to Admins (others
get 404). Bad parameters give 400 {field, code, message}.
Amounts are strings with their currency's own decimals ("1234.50", JPY "1235").

Split by domain into `aging`, `common`, `dso`, `jobs`; everything is re-exported here.
"""

from .aging import (
    AccountAgingOutputSerializer,
    AgingDocumentSerializer,
    AgingInputSerializer,
    AgingOutputSerializer,
    AgingPageInputSerializer,
    AgingPageOutputSerializer,
    AgingRowSerializer,
    AmountsSerializer,
    ArAgingAccountView,
    ArAgingView,
    BucketSerializer,
    CurrencyAgingSerializer,
    RateSerializer,
    ReportingTotalSerializer,
    aging_payload,
)
from .common import days
from .dso import (
    CountbackStepSerializer,
    DsoInputSerializer,
    DsoOutputSerializer,
    DsoView,
    TrendPointSerializer,
)
from .jobs import (
    ExportJobFileView,
    ExportJobInputSerializer,
    ExportJobOutputSerializer,
    ExportJobsView,
    ExportJobView,
    export_job_payload,
)

__all__ = [
    "AccountAgingOutputSerializer",
    "AgingDocumentSerializer",
    "AgingInputSerializer",
    "AgingOutputSerializer",
    "AgingPageInputSerializer",
    "AgingPageOutputSerializer",
    "AgingRowSerializer",
    "AmountsSerializer",
    "ArAgingAccountView",
    "ArAgingView",
    "BucketSerializer",
    "CountbackStepSerializer",
    "CurrencyAgingSerializer",
    "DsoInputSerializer",
    "DsoOutputSerializer",
    "DsoView",
    "ExportJobFileView",
    "ExportJobInputSerializer",
    "ExportJobOutputSerializer",
    "ExportJobView",
    "ExportJobsView",
    "RateSerializer",
    "ReportingTotalSerializer",
    "TrendPointSerializer",
    "aging_payload",
    "days",
    "export_job_payload",
]
