"""A customer's billing on one timeline: contracts, schedule, invoices, credit notes,
credit on account and payments; balances per currency."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    Min,
    Prefetch,
    Q,
    Sum,
)
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    OPEN_AMOUNT,
    BillingScheduleLine,
    CreditApplication,
    CreditNote,
    CreditRefund,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    ScheduleLineStatus,
)
from ordermgmt.models import Account, Contract

from .common import MONEY_FIELD, money
from .invoice_detail import KIND_LABELS
from .invoices import overdue_q

# --- A customer's billing on one timeline ------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: date
    kind: str  # scheduled | billed | invoice | credit_note | payment
    title: str
    detail: str
    amount: str
    url: str
    status: str = ""
    contract: str = ""


# Within one day: what was planned, then the invoice, then what reduced it.
KIND_ORDER = {"scheduled": 0, "billed": 1, "invoice": 2, "credit_note": 3, "payment": 4}


@dataclass
class ContractSummary:
    contract: Contract
    value: str
    billed: str
    pending: str
    lines_billed: int
    lines_pending: int
    next_billing_date: date | None


@dataclass
class CurrencyBalance:
    currency: str
    invoiced: str
    credited: str
    open: str
    overdue: str


@dataclass
class AccountTimeline:
    account: Account
    contracts: list[ContractSummary]
    balances: list[CurrencyBalance]
    entries: list[TimelineEntry]
    today: date
    today_index: int  # entries before it are in the past
    payments_shown: bool


def _schedule_entries(lines) -> list[TimelineEntry]:
    entries = []
    for line in lines:
        invoice = line.invoice_line.invoice if line.invoice_line_id else None
        product = line.contract_line.product
        period = f"{line.period_start:%d %b %Y} – {line.period_end:%d %b %Y}"
        if line.status == ScheduleLineStatus.BILLED and invoice is not None:
            kind, url = "billed", reverse("billing:invoice_detail", args=[invoice.pk])
            status = f"Billed on {invoice.number or 'draft #' + str(invoice.pk)}"
        elif line.status == ScheduleLineStatus.BILLED:
            kind, url, status = "billed", "", "Billed (nothing to invoice)"
        elif line.status == ScheduleLineStatus.CANCELLED:
            kind, url, status = "scheduled", "", "Cancelled"
        else:
            kind, url, status = "scheduled", "", "Not billed yet"
        entries.append(
            TimelineEntry(
                when=line.billing_date,
                kind=kind,
                title=f"{product.name}: {KIND_LABELS.get(line.kind, line.kind).lower()}",
                detail=period,
                amount=money(line.amount, line.currency) if line.amount is not None else "usage",
                url=url,
                status=status,
                contract=line.contract.reference,
            )
        )
    return entries


def _invoice_entries(invoices) -> list[TimelineEntry]:
    entries = []
    for invoice in invoices:
        reference = invoice.contract.reference if invoice.contract_id else ""
        detail = (
            f"Due {invoice.due_date:%d %b %Y} · open {money(invoice.open_amount, invoice.currency)}"
        )
        if invoice.replaces_id:
            detail += f" · corrects {invoice.replaces.number}"
        entries.append(
            TimelineEntry(
                when=invoice.invoice_date,
                kind="invoice",
                title=f"Invoice {invoice.number or 'DRAFT #' + str(invoice.pk)}",
                detail=detail,
                amount=money(invoice.total_amount, invoice.currency),
                url=reverse("billing:invoice_detail", args=[invoice.pk]),
                status=invoice.get_status_display()
                + ("" if invoice.is_draft else f", {invoice.get_settlement_status_display()}"),
                contract=reference,
            )
        )
    return entries


def _credit_note_detail(note: CreditNote) -> str:
    detail = f"On {note.invoice.number}: {note.reason}"
    if note.on_account_amount:
        detail += f" · {money(note.on_account_amount, note.currency)} left on account"
    return detail


def _credit_note_entries(notes) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            when=note.credit_date,
            kind="credit_note",
            title=f"Credit note {note.number}",
            detail=_credit_note_detail(note),
            amount="−" + money(note.total_amount, note.currency),
            url=reverse("billing:credit_note_detail", args=[note.pk]),
            status="Void of the invoice" if note.is_void_of_invoice else "",
            contract=note.invoice.contract.reference if note.invoice.contract_id else "",
        )
        for note in notes
    ]


def _credit_on_account_entries(account: Account, contract: Contract | None):
    """Credit on account applied to invoices (reversals negative) and refunded."""
    applications = CreditApplication.objects.filter(
        credit_note__invoice__account=account
    ).select_related("credit_note", "invoice")
    refunds = CreditRefund.objects.filter(credit_note__invoice__account=account).select_related(
        "credit_note"
    )
    if contract is not None:
        applications = applications.filter(invoice__contract=contract)
        refunds = refunds.filter(credit_note__invoice__contract=contract)
    entries = [
        TimelineEntry(
            when=a.applied_date,
            kind="credit_note",
            title=(
                f"Credit application reversed: {a.credit_note.number}"
                if a.reverses_id
                else f"Credit {a.credit_note.number} applied"
            ),
            detail=f"{'From' if a.reverses_id else 'To'} {a.invoice.number}"
            + (f": {a.reason}" if a.reason else ""),
            amount=money(a.amount, a.credit_note.currency),
            url=reverse("billing:credit_note_detail", args=[a.credit_note_id]),
        )
        for a in applications
    ]
    entries += [
        TimelineEntry(
            when=r.refund_date,
            kind="credit_note",
            title=f"Credit refunded {r.reference}",
            detail=f"Of {r.credit_note.number}: {r.reason}",
            amount=money(r.amount, r.credit_note.currency),
            url=reverse("billing:credit_note_detail", args=[r.credit_note_id]),
        )
        for r in refunds
    ]
    return entries


def _payment_entries(account: Account, contract: Contract | None) -> list[TimelineEntry]:
    """Cash received (with what it was applied to), reversed applications and refunds."""
    payments = Payment.objects.filter(account=account).prefetch_related(
        Prefetch(
            "applications",
            queryset=PaymentApplication.objects.select_related("invoice").order_by("id"),
        ),
        "refunds",
    )
    if contract is not None:
        payments = payments.filter(applications__invoice__contract=contract).distinct()
    entries = []
    for payment in payments:
        currency = payment.currency
        applied: dict[str, Decimal] = defaultdict(Decimal)
        for application in payment.applications.all():
            applied[application.invoice.number or f"draft #{application.invoice_id}"] += (
                application.amount
            )
            if application.amount < 0:
                entries.append(
                    TimelineEntry(
                        when=application.applied_date,
                        kind="payment",
                        title=f"Application reversed: {payment.reference}",
                        detail=f"From {application.invoice.number}: {application.reason}",
                        amount=money(-application.amount, currency),
                        url=reverse("billing:invoice_detail", args=[application.invoice_id]),
                    )
                )
        applied_text = ", ".join(
            f"{number} {money(amount, currency)}" for number, amount in applied.items() if amount
        )
        detail = f"Applied to {applied_text}" if applied_text else "Not applied"
        if payment.unapplied_amount:
            detail += f" · unapplied {money(payment.unapplied_amount, currency)}"
        entries.append(
            TimelineEntry(
                when=payment.received_date,
                kind="payment",
                title=f"Payment {payment.label}",
                detail=detail,
                amount="−" + money(payment.amount, currency),
                url=reverse("billing:payment_detail", args=[payment.pk]),
            )
        )
        for refund in payment.refunds.all():
            entries.append(
                TimelineEntry(
                    when=refund.refund_date,
                    kind="payment",
                    title=f"Refund {refund.reference}",
                    detail=f"Of {payment.reference}: {refund.reason}",
                    amount=money(refund.amount, currency),
                    url=reverse("billing:payment_detail", args=[payment.pk]),
                )
            )
    return entries


def account_timeline(
    account: Account, *, contract: Contract | None = None, with_payments: bool = True
) -> AccountTimeline:
    contracts = list(
        Contract.objects.filter(account=account)
        .annotate(
            scheduled_total=Sum(
                "schedule_lines__amount", filter=~Q(schedule_lines__status="cancelled")
            ),
            billed_total=Sum("schedule_lines__amount", filter=Q(schedule_lines__status="billed")),
            pending_total=Sum("schedule_lines__amount", filter=Q(schedule_lines__status="pending")),
            billed_count=Count("schedule_lines", filter=Q(schedule_lines__status="billed")),
            pending_count=Count("schedule_lines", filter=Q(schedule_lines__status="pending")),
        )
        .order_by("-start_date", "-id")
    )
    today = timezone.localdate()
    next_dates = dict(
        BillingScheduleLine.objects.filter(
            contract__account=account, status=ScheduleLineStatus.PENDING
        )
        .values_list("contract_id")
        .annotate(next=Min("billing_date"))
        .values_list("contract_id", "next")
    )
    summaries = [
        ContractSummary(
            contract=c,
            value=money(c.scheduled_total or 0, c.currency),
            billed=money(c.billed_total or 0, c.currency),
            pending=money(c.pending_total or 0, c.currency),
            lines_billed=c.billed_count,
            lines_pending=c.pending_count,
            next_billing_date=next_dates.get(c.pk),
        )
        for c in contracts
    ]

    lines = BillingScheduleLine.objects.filter(contract__account=account).select_related(
        "contract", "contract_line__product", "invoice_line__invoice"
    )
    invoices = Invoice.objects.filter(account=account).select_related("contract", "replaces")
    notes = CreditNote.objects.filter(invoice__account=account).select_related("invoice__contract")
    if contract is not None:
        lines = lines.filter(contract=contract)
        invoices = invoices.filter(contract=contract)
        notes = notes.filter(invoice__contract=contract)
    entries = [
        *_schedule_entries(lines),
        *_invoice_entries(invoices),
        *_credit_note_entries(notes),
        *(_payment_entries(account, contract) if with_payments else []),
        *(_credit_on_account_entries(account, contract) if with_payments else []),
    ]
    entries.sort(key=lambda e: (e.when, KIND_ORDER[e.kind], e.contract, e.title))
    return AccountTimeline(
        account=account,
        contracts=summaries,
        balances=account_balances(account),
        entries=entries,
        today=today,
        today_index=next((i for i, e in enumerate(entries) if e.when >= today), len(entries)),
        payments_shown=with_payments,
    )


def account_balances(account: Account) -> list[CurrencyBalance]:
    today = timezone.localdate()
    open_expr = OPEN_AMOUNT
    rows = (
        Invoice.objects.filter(account=account, status=InvoiceStatus.ISSUED)
        .order_by()
        .values("currency")
        .annotate(
            invoiced=Sum("total_amount"),
            credited=Sum("credited_amount"),
            open=Sum(open_expr, output_field=MONEY_FIELD),
            overdue=Sum(open_expr, filter=overdue_q(today), output_field=MONEY_FIELD),
        )
        .order_by("currency")
    )
    return [
        CurrencyBalance(
            currency=row["currency"],
            invoiced=money(row["invoiced"] or 0, row["currency"]),
            credited=money(row["credited"] or 0, row["currency"]),
            open=money(row["open"] or 0, row["currency"]),
            overdue=money(row["overdue"] or 0, row["currency"]),
        )
        for row in rows
    ]
