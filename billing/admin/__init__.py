"""Billing in the admin. Documents (invoices once issued, credit notes, number series)
are read-only here; what changes them are the buttons, which call the billing services
like the invoice page does.

Split by domain into `base`, `cash`, `invoices`, `runs`, `setup`; everything is re-exported here.
"""

from .base import ReadOnlyAdminMixin
from .cash import PaymentAdmin, PaymentApplicationInline, RefundInline
from .invoices import (
    DRAFT_EDITABLE_FIELDS,
    CreditApplicationInline,
    CreditNoteAdmin,
    CreditNoteInline,
    CreditNoteLineInline,
    CreditRefundInline,
    InvoiceAdmin,
    InvoiceDeliveryAdmin,
    InvoiceLineInline,
)
from .runs import (
    BillingRunAdmin,
    BillingRunExceptionAdmin,
    BillingRunExceptionInline,
    BillingScheduleLineAdmin,
    UsageRecordAdmin,
)
from .setup import FxRateAdmin, LegalEntityAdmin, NumberSeriesAdmin, TaxRateAdmin

__all__ = [
    "BillingRunAdmin",
    "BillingRunExceptionAdmin",
    "BillingRunExceptionInline",
    "BillingScheduleLineAdmin",
    "CreditApplicationInline",
    "CreditNoteAdmin",
    "CreditNoteInline",
    "CreditNoteLineInline",
    "CreditRefundInline",
    "DRAFT_EDITABLE_FIELDS",
    "FxRateAdmin",
    "InvoiceAdmin",
    "InvoiceDeliveryAdmin",
    "InvoiceLineInline",
    "LegalEntityAdmin",
    "NumberSeriesAdmin",
    "PaymentAdmin",
    "PaymentApplicationInline",
    "ReadOnlyAdminMixin",
    "RefundInline",
    "TaxRateAdmin",
    "UsageRecordAdmin",
]
