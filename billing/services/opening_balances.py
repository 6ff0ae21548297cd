"""Opening balances: open invoices carried over from another system at the cut-over.

The open-AR import (``collections_app.reports.ar_import``) validates a file and hands its
rows here; this service writes them. Per row: an issued invoice (source "import", the old
system's number) with one line "Opening balance" for the original amount and no tax, and
for the part already settled before the cut-over (original - open) a payment of method
"opening" on the cut-over date, fully applied to the invoice.

The writes are bulk (an import can hold 100,000 rows) and bypass ``save()``, so the
invoice's transition rule is applied per row with ``transition_to()`` before the bulk
update: drafts first (a database trigger refuses lines on an issued invoice), then issued.

Runs inside the import's transaction (``transaction.atomic``, not durable), so that the
file's validation and its writes are one all-or-nothing step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import (
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    LegalEntity,
    Payment,
    PaymentApplication,
    SettlementStatus,
)
from billing.services.invoicing import buyer_snapshot
from core.audit import actor_or_none
from core.terms import MAX_NET_DAYS
from ordermgmt.models import Account

# Not (yet) one of billing's PaymentMethod choices: the settlement of imported invoices
# before the cut-over is no cash received here.
OPENING_BALANCE_METHOD = "opening"


@dataclass
class OpeningBalance:
    """One open invoice of the previous system, already validated."""

    line: int  # where it came from (the file's line number), kept on the invoice line
    invoice_number: str
    account: Account
    invoice_date: date
    due_date: date
    currency: str
    original_amount: Decimal
    open_amount: Decimal
    po_number: str


def _terms_code(row: OpeningBalance) -> str:
    days = (row.due_date - row.invoice_date).days
    # The due date is the old system's; the code only labels it when it is a Net N.
    return f"NET{days}" if days <= MAX_NET_DAYS else row.account.default_payment_terms


@transaction.atomic
def record_opening_balances(
    *,
    balances: Sequence[OpeningBalance],
    cutover_date: date,
    legal_entity: LegalEntity,
    actor,
) -> list[Invoice]:
    """Writes one issued invoice per balance (and its settlement before the cut-over);
    returns the invoices in the order of ``balances``."""
    rows = list(balances)
    user = actor_or_none(actor)
    now = timezone.now()

    # Lines can only be added to a draft (a database trigger guards issued invoices), so:
    # drafts, their line, then issue them all with their old numbers.
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                legal_entity=legal_entity,
                account=row.account,
                source=InvoiceSource.IMPORT,
                status=InvoiceStatus.DRAFT,
                currency=row.currency,
                invoice_date=row.invoice_date,
                due_date=row.due_date,
                payment_terms=_terms_code(row),
                po_number=row.po_number,
                subtotal_amount=row.original_amount,
                tax_amount=Decimal(0),
                total_amount=row.original_amount,
                **buyer_snapshot(row.account),
            )
            for row in rows
        ],
        batch_size=2000,
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                invoice=invoice,
                position=1,
                description="Opening balance",
                quantity=Decimal(1),
                unit_price=row.original_amount,
                amount=row.original_amount,
                explanation={
                    "import": {
                        "line": row.line,
                        "original_amount": str(row.original_amount),
                        "open_amount": str(row.open_amount),
                        "cutover_date": cutover_date.isoformat(),
                    }
                },
            )
            for invoice, row in zip(invoices, rows, strict=True)
        ],
        batch_size=2000,
    )
    for invoice, row in zip(invoices, rows, strict=True):
        invoice.transition_to(InvoiceStatus.ISSUED)  # a draft until now, checked
        invoice.number = row.invoice_number
        invoice.issued_at = now
        invoice.paid_amount = row.original_amount - row.open_amount
        invoice.settlement_status = (
            SettlementStatus.PARTIALLY_PAID if invoice.paid_amount > 0 else SettlementStatus.UNPAID
        )
    Invoice.objects.bulk_update(
        invoices,
        ["status", "number", "issued_at", "paid_amount", "settlement_status"],
        batch_size=2000,
    )
    Invoice.history.bulk_history_create(
        invoices, default_user=user, default_change_reason="invoice.imported", default_date=now
    )

    settled = [
        (invoice, row) for invoice, row in zip(invoices, rows, strict=True) if invoice.paid_amount
    ]
    payments = Payment.objects.bulk_create(
        [
            Payment(
                account=row.account,
                currency=row.currency,
                amount=invoice.paid_amount,
                applied_amount=invoice.paid_amount,
                received_date=cutover_date,
                method=OPENING_BALANCE_METHOD,
                reference=f"Settled before import: {row.invoice_number}"[:100],
                created_by=user,
            )
            for invoice, row in settled
        ],
        batch_size=2000,
    )
    Payment.history.bulk_history_create(
        payments,
        default_user=user,
        default_change_reason="payment.opening_balance",
        default_date=now,
    )
    PaymentApplication.objects.bulk_create(
        [
            PaymentApplication(
                payment=payment,
                invoice=invoice,
                amount=invoice.paid_amount,
                applied_date=cutover_date,
                reason="Settled in the previous system before the cut-over",
                created_by=user,
            )
            for payment, (invoice, _) in zip(payments, settled, strict=True)
        ],
        batch_size=2000,
    )
    return invoices
