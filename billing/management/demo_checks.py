"""What a real book never shows, looked for in the demo book: invoices that bill more than
one period of a contract line at once (catch-up invoices), documents dated or issued
after today, and numbers that do not follow dates within a seller's series.

`load_billing_demo` prints what it finds; tests/demo asserts there is nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count
from django.utils import timezone

from billing.models import CreditNote, Invoice, InvoiceLine


@dataclass(frozen=True)
class CatchUpInvoice:
    number: str
    account: str
    periods: int  # the most periods of one contract line on the invoice


def catch_up_invoices() -> list[CatchUpInvoice]:
    """Issued invoices with more than one billing period of the same contract line (lines
    billed from its schedule; a commitment's installment, drawdown or true-up on the same
    invoice carries the commitment's dates, not a billing period)."""
    rows = (
        InvoiceLine.objects.filter(
            invoice__number__isnull=False,
            contract_line__isnull=False,
            schedule_line__isnull=False,
        )
        .values("invoice_id", "contract_line_id")
        .annotate(periods=Count("period_start", distinct=True))
        .filter(periods__gt=1)
        .order_by()
    )
    most: dict[int, int] = defaultdict(int)
    for row in rows:
        most[row["invoice_id"]] = max(most[row["invoice_id"]], row["periods"])
    invoices = Invoice.objects.filter(pk__in=most).select_related("account").order_by("number")
    return [CatchUpInvoice(i.number, i.account.legal_name, most[i.pk]) for i in invoices]


def documents_after(today: date | None = None) -> list[str]:
    """Numbers of invoices and credit notes dated, or issued, after `today`."""
    today = today or timezone.localdate()
    late = []
    for invoice in Invoice.objects.filter(number__isnull=False).order_by("number"):
        issued = timezone.localdate(invoice.issued_at) if invoice.issued_at else None
        if invoice.invoice_date > today or issued is None or issued > today:
            late.append(invoice.number)
    late.extend(CreditNote.objects.filter(credit_date__gt=today).values_list("number", flat=True))
    return late


def issued_on_other_days() -> list[str]:
    """Numbers of invoices issued on another day than their invoice date (history that
    was issued when it was loaded rather than when it was billed)."""
    return [
        number
        for number, day, issued in Invoice.objects.filter(number__isnull=False)
        .values_list("number", "invoice_date", "issued_at")
        .order_by("number")
        if issued is None or timezone.localdate(issued) != day
    ]


def numbers_out_of_date_order() -> list[str]:
    """Invoice numbers whose date is before that of an earlier number of the same series
    (seller and year): numbers must follow dates."""
    out_of_order = []
    series: dict[tuple, list[tuple[int, date, str]]] = defaultdict(list)
    rows = Invoice.objects.filter(number__isnull=False).values_list(
        "legal_entity_id", "number", "invoice_date"
    )
    for seller, number, day in rows:
        prefix, _, sequence = number.rpartition("-")
        series[(seller, prefix, day.year)].append((int(sequence), day, number))
    for documents in series.values():
        latest = None
        for _, day, number in sorted(documents):
            if latest is not None and day < latest:
                out_of_order.append(number)
            latest = max(latest or day, day)
    return out_of_order
