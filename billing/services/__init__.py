from .bulk import BulkOutcome, issue_run_drafts, send_run_invoices
from .credit_notes import (
    ON_CREDIT_NOTE,
    CreditEffect,
    CreditLineInput,
    credit_effect,
    issue_credit_note,
    void_invoice,
)
from .credits import (
    apply_credit_note,
    apply_credit_oldest_first,
    refund_credit_note,
    reverse_credit_application,
)
from .delivery import deliver_invoice_email
from .invoicing import (
    ON_ISSUE,
    create_corrected_invoice,
    default_legal_entity,
    discard_draft_invoice,
    issue_invoice,
    next_document_number,
)
from .opening_balances import OpeningBalance, record_opening_balances
from .payments import (
    apply_oldest_first,
    apply_payment,
    apply_payment_to_invoices,
    record_payment,
    refund_payment,
    reverse_application,
)
from .run_lease import resume_billing_run
from .runs import execute_billing_run, queue_billing_run, resolve_run_exception
from .schedules import contract_value, create_billing_schedule, record_usage

__all__ = [
    "BulkOutcome",
    "issue_run_drafts",
    "send_run_invoices",
    "ON_CREDIT_NOTE",
    "ON_ISSUE",
    "CreditEffect",
    "CreditLineInput",
    "credit_effect",
    "apply_credit_note",
    "apply_credit_oldest_first",
    "apply_oldest_first",
    "apply_payment",
    "apply_payment_to_invoices",
    "contract_value",
    "create_billing_schedule",
    "create_corrected_invoice",
    "default_legal_entity",
    "deliver_invoice_email",
    "discard_draft_invoice",
    "execute_billing_run",
    "issue_credit_note",
    "issue_invoice",
    "next_document_number",
    "OpeningBalance",
    "record_opening_balances",
    "queue_billing_run",
    "record_payment",
    "record_usage",
    "refund_credit_note",
    "refund_payment",
    "resolve_run_exception",
    "resume_billing_run",
    "reverse_application",
    "reverse_credit_application",
    "void_invoice",
]
