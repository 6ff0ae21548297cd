"""What a signed-in contact may see: its own account's issued documents, nothing else.
Every lookup takes the account, so another account's id is simply not found."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.shortcuts import get_object_or_404

from billing.models import CreditNote, Invoice, InvoiceStatus, Payment
from billing.models.invoices import OPEN_AMOUNT
from ordermgmt.models import Account


def portal_invoices(account: Account) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(account=account)
        .exclude(status=InvoiceStatus.DRAFT)
        .order_by("-invoice_date", "-id")
    )


def portal_invoice(account: Account, pk: int) -> Invoice:
    return get_object_or_404(portal_invoices(account), pk=pk)


def balance_due(account: Account) -> list[tuple[str, Decimal]]:
    """(currency, open amount) of the account's issued invoices, one row per currency."""
    rows = (
        Invoice.objects.filter(account=account, status=InvoiceStatus.ISSUED)
        .values("currency")
        .annotate(open=Sum(OPEN_AMOUNT))
        .order_by("currency")
    )
    return [(row["currency"], row["open"]) for row in rows if row["open"] > 0]


def portal_credit_notes(account: Account) -> QuerySet[CreditNote]:
    return (
        CreditNote.objects.filter(invoice__account=account)
        .filter(write_off__isnull=True)  # write-offs are AR's, not a document sent
        .select_related("invoice")
        .order_by("-credit_date", "-id")
    )


def portal_credit_note(account: Account, pk: int) -> CreditNote:
    return get_object_or_404(portal_credit_notes(account), pk=pk)


def portal_payments(account: Account) -> QuerySet[Payment]:
    return Payment.objects.filter(account=account).order_by("-received_date", "-id")


def payment_page_url(invoice: Invoice) -> str:
    """Stripe's hosted page for an open invoice that went to Stripe, else ''."""
    if invoice.status != InvoiceStatus.ISSUED or invoice.open_amount <= 0:
        return ""
    push = getattr(invoice, "stripe_push", None)
    return (push.hosted_invoice_url if push is not None else "") or ""
