"""Push issued invoices, their credit notes and their voiding to Stripe.

- `invoices`: the invoice push, step by step (algorithm in its docstring);
- `credit_notes`: credit notes and voiding, after their invoice;
- `retries`: "Retry now" (one service for both kinds) and what counts as stalled;
- `common`: idempotency keys, the call wrapper, the push's progress record.
"""

from .common import (
    CREDIT_NOTE_ID_KEY,
    INVOICE_ID_KEY,
    INVOICE_NUMBER_KEY,
    LINE_KEY,
    STATUS_RANK,
    advance_stripe_status,
    idempotency_key,
)
from .credit_notes import WaitingForInvoicePush, push_credit_note
from .invoices import (
    ON_INVOICE_PUSHED,
    customer_params,
    invoice_params,
    planned_items,
    push_invoice,
)
from .retries import STALLED_AFTER, is_stalled, retry_push

__all__ = [
    "CREDIT_NOTE_ID_KEY",
    "INVOICE_ID_KEY",
    "INVOICE_NUMBER_KEY",
    "LINE_KEY",
    "ON_INVOICE_PUSHED",
    "STALLED_AFTER",
    "STATUS_RANK",
    "WaitingForInvoicePush",
    "advance_stripe_status",
    "customer_params",
    "idempotency_key",
    "invoice_params",
    "is_stalled",
    "planned_items",
    "push_credit_note",
    "push_invoice",
    "retry_push",
]
