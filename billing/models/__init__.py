from .credits import CreditApplication, CreditRefund
from .einvoices import EInvoiceFile, EInvoiceSyntax
from .entities import (
    DocumentType,
    FxRate,
    LegalEntity,
    NumberSeries,
    TaxRate,
    TaxRounding,
    VatCategory,
)
from .invoices import (
    OPEN_AMOUNT,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceDelivery,
    InvoiceLine,
    InvoiceResend,
    InvoiceSource,
    InvoiceStatus,
    SettlementStatus,
)
from .open_balances import AccountMonthlyMovement, AccountOpenBalance, ArDailyTotal
from .payments import Payment, PaymentApplication, PaymentMethod, Refund
from .runs import BillingRun, BillingRunException, BillingRunStatus, ExceptionReason
from .schedules import BillingScheduleLine, ScheduleLineKind, ScheduleLineStatus, UsageRecord

__all__ = [
    "OPEN_AMOUNT",
    "AccountMonthlyMovement",
    "AccountOpenBalance",
    "ArDailyTotal",
    "BillingRun",
    "BillingRunException",
    "BillingRunStatus",
    "BillingScheduleLine",
    "CreditApplication",
    "CreditNote",
    "CreditNoteLine",
    "CreditRefund",
    "DocumentType",
    "EInvoiceFile",
    "EInvoiceSyntax",
    "ExceptionReason",
    "FxRate",
    "Invoice",
    "InvoiceDelivery",
    "InvoiceResend",
    "InvoiceLine",
    "InvoiceSource",
    "InvoiceStatus",
    "LegalEntity",
    "NumberSeries",
    "Payment",
    "PaymentApplication",
    "PaymentMethod",
    "Refund",
    "ScheduleLineKind",
    "ScheduleLineStatus",
    "SettlementStatus",
    "TaxRate",
    "TaxRounding",
    "UsageRecord",
    "VatCategory",
]
