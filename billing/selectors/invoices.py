"""The invoice list (filters, totals per currency, rows) and the API querysets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from billing.models import (
    OPEN_AMOUNT,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    SettlementStatus,
)

from .common import MONEY_FIELD, money

# --- Invoice list -----------------------------------------------------------------------


def overdue_q(today: date | None = None) -> Q:
    """Issued, not fully settled and past its due date."""
    today = today or timezone.localdate()
    return Q(status=InvoiceStatus.ISSUED, due_date__lt=today) & ~Q(
        settlement_status=SettlementStatus.PAID
    )


def invoices_for_list_base() -> QuerySet[Invoice]:
    """What the invoice list, its CSV and the API filter (billing.filters.InvoiceFilter),
    newest first unless a sort is chosen."""
    return Invoice.objects.select_related("account", "contract").order_by("-invoice_date", "-id")


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    invoices: int
    invoiced: str
    open: str
    drafts: str = ""  # what the drafts among them will bill, when there are any


def totals_by_currency(queryset: QuerySet[Invoice]) -> list[CurrencyTotal]:
    """Per currency: how many invoices, what they bill (void ones aside) and what is
    still open on the issued ones. Amounts in different currencies are never added."""
    rows = (
        queryset.order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            invoiced=Sum(
                Case(
                    When(status=InvoiceStatus.VOID, then=Value(Decimal(0))),
                    default=F("total_amount"),
                    output_field=MONEY_FIELD,
                )
            ),
            open=Sum(
                Case(
                    When(
                        status=InvoiceStatus.ISSUED,
                        then=OPEN_AMOUNT,
                    ),
                    default=Value(Decimal(0)),
                    output_field=MONEY_FIELD,
                )
            ),
            drafts=Sum(
                Case(
                    When(status=InvoiceStatus.DRAFT, then=F("total_amount")),
                    default=None,
                    output_field=MONEY_FIELD,
                )
            ),
        )
        .order_by("currency")
    )
    return [
        CurrencyTotal(
            currency=row["currency"],
            invoices=row["count"],
            invoiced=money(row["invoiced"] or 0, row["currency"]),
            open=money(row["open"] or 0, row["currency"]),
            drafts="" if row["drafts"] is None else money(row["drafts"], row["currency"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    total: str
    open: str
    overdue: bool


def open_shown(invoice: Invoice) -> str:
    """The open balance as pages and the admin show it: nothing is open on a draft (the
    currency totals count issued invoices only)."""
    if invoice.status == InvoiceStatus.DRAFT:
        return "—"
    return money(invoice.open_amount, invoice.currency)


def invoice_rows(invoices, today: date | None = None) -> list[InvoiceRow]:
    today = today or timezone.localdate()
    return [
        InvoiceRow(
            invoice=invoice,
            total=money(invoice.total_amount, invoice.currency),
            open=open_shown(invoice),
            overdue=is_overdue(invoice, today),
        )
        for invoice in invoices
    ]


def is_overdue(invoice: Invoice, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        invoice.status == InvoiceStatus.ISSUED
        and invoice.settlement_status != SettlementStatus.PAID
        and invoice.due_date < today
    )


# --- API querysets ------------------------------------------------------------------------


def invoices_for_api(*, lines: bool = True) -> QuerySet[Invoice]:
    """Invoices as the API shows them; without their lines (`lines=False`) for a list
    that leaves them out."""
    queryset = Invoice.objects.select_related("account", "contract")
    if lines:
        queryset = queryset.prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id"))
        )
    return queryset.prefetch_related(
        Prefetch("credit_notes", queryset=CreditNote.objects.order_by("credit_date", "id")),
        Prefetch("corrections", queryset=Invoice.objects.only("id", "replaces_id")),
    ).order_by("-invoice_date", "-id")
