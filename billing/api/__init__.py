"""REST API for billing under /api/v1/: schedule lines, invoices (and their actions),
credit notes and their credit on account, billing runs and usage records.

Writes go through billing.services, exactly as the invoice page and the admin do; a
DomainValidationError becomes HTTP 400 {field, code, message} (core.api_errors).
"""

from billing.api.credits import CreditApplicationViewSet, CreditNoteViewSet
from billing.api.invoices import BillingScheduleLineViewSet, InvoiceViewSet
from billing.api.runs import BillingRunExceptionViewSet, BillingRunViewSet, UsageRecordViewSet

__all__ = [
    "BillingRunExceptionViewSet",
    "BillingRunViewSet",
    "BillingScheduleLineViewSet",
    "CreditApplicationViewSet",
    "CreditNoteViewSet",
    "InvoiceViewSet",
    "UsageRecordViewSet",
]
