"""AR reports: aging as of any date, DSO, finance exports and the open-AR import.

Selectors (reads) live in `aging` and `dso`; `ar_import.import_open_ar` is the one
write. Pages are in `collections_app.views_reports`, the API in `api_reports`.
"""

from .aging import (
    AgingBasis,
    AgingParams,
    AgingReport,
    ar_aging,
)
from .aging_documents import (
    aging_documents,
    customer_aging,
)
from .ar_import import ImportRowError, OpenArImportRejected, import_open_ar
from .dso import DsoParams, countback_dso, dso_for_period, dso_trend, simple_dso

__all__ = [
    "AgingBasis",
    "AgingParams",
    "AgingReport",
    "DsoParams",
    "ImportRowError",
    "OpenArImportRejected",
    "aging_documents",
    "ar_aging",
    "countback_dso",
    "customer_aging",
    "dso_for_period",
    "dso_trend",
    "import_open_ar",
    "simple_dso",
]
