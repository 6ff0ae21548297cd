from .credit_notes import CreditLineInput, issue_credit_note, void_invoice
from .invoicing import (
    ON_ISSUE,
    create_corrected_invoice,
    default_legal_entity,
    discard_draft_invoice,
    issue_invoice,
    next_document_number,
)
from .runs import execute_billing_run, queue_billing_run
from .schedules import contract_value, create_billing_schedule, record_usage

__all__ = [
    "ON_ISSUE",
    "CreditLineInput",
    "contract_value",
    "create_billing_schedule",
    "create_corrected_invoice",
    "default_legal_entity",
    "discard_draft_invoice",
    "execute_billing_run",
    "issue_credit_note",
    "issue_invoice",
    "next_document_number",
    "queue_billing_run",
    "record_usage",
    "void_invoice",
]
