"""The statement's figures, read from the same documents as the AR aging: invoices by
invoice date (void ones too, with their void credit note), credit notes and write-offs by
credit date, payments by received date, refunds by refund date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from billing.models import CreditNote, CreditRefund, Invoice, InvoiceStatus, Payment, Refund
from billing.writeoffs.services import WRITE_OFF_PREFIX
from collections_app.error_codes import CollectionsError
from collections_app.reports.aging import AgingParams, ar_aging
from core.errors import DomainValidationError
from ordermgmt.models import Account

ZERO = Decimal(0)
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class StatementLine:
    day: date
    kind: str  # Invoice, Credit note, Write-off, Payment, Refund
    number: str
    description: str
    debit: Decimal  # raises what the customer owes
    credit: Decimal  # lowers it
    balance: Decimal = ZERO


@dataclass
class Statement:
    account: Account
    currency: str
    start: date
    end: date
    opening: Decimal
    lines: list[StatementLine] = field(default_factory=list)
    bucket_labels: list[str] = field(default_factory=list)
    buckets: list[Decimal] = field(default_factory=list)
    unapplied_credits: Decimal = ZERO

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def total_debits(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def total_credits(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def _invoices(account, currency):
    return Invoice.objects.filter(
        account=account,
        currency=currency,
        number__isnull=False,
        status__in=[InvoiceStatus.ISSUED, InvoiceStatus.VOID],
    )


def _documents(account: Account, currency: str):
    """Every dated movement of the account in the currency, as (day, order, line)."""
    rows = []
    for i in _invoices(account, currency):
        rows.append((i.invoice_date, 0, i.pk, "Invoice", i.number, f"Due {i.due_date}",
                     i.total_amount, ZERO))  # fmt: skip
    notes = CreditNote.objects.filter(invoice__account=account, currency=currency)
    for n in notes.select_related("invoice"):
        kind = "Write-off" if n.number.startswith(WRITE_OFF_PREFIX) else "Credit note"
        rows.append((n.credit_date, 1, n.pk, kind, n.number, f"On {n.invoice.number}: {n.reason}",
                     ZERO, n.total_amount))  # fmt: skip
    for p in Payment.objects.filter(account=account, currency=currency):
        rows.append((p.received_date, 2, p.pk, "Payment", p.reference, p.get_method_display(),
                     ZERO, p.amount))  # fmt: skip
    for r in Refund.objects.filter(payment__account=account, payment__currency=currency):
        rows.append((r.refund_date, 3, r.pk, "Refund", r.reference, r.reason, r.amount, ZERO))
    credit_refunds = CreditRefund.objects.filter(
        credit_note__invoice__account=account, credit_note__currency=currency
    )
    for r in credit_refunds:
        rows.append((r.refund_date, 3, r.pk, "Refund", r.reference, r.reason, r.amount, ZERO))
    rows.sort(key=lambda row: row[:3])
    return rows


def statement_of_account(
    *, account: Account, start: date, end: date, currency: str | None = None
) -> Statement:
    if end < start:
        raise DomainValidationError(
            field="end",
            code=CollectionsError.BEFORE_START,
            message="The period ends before it starts.",
        )
    if (end - start).days > MAX_DAYS:
        raise DomainValidationError(
            field="start",
            code=CollectionsError.PERIOD_TOO_LONG,
            message="A statement covers three years at most.",
        )
    currency = (currency or account.default_currency or "USD").upper()
    opening = ZERO
    statement = Statement(account, currency, start, end, ZERO)
    for day, _, _, kind, number, text, debit, credit in _documents(account, currency):
        if day < start:
            opening += debit - credit
        elif day <= end:
            statement.lines.append(StatementLine(day, kind, number, text, debit, credit))
    statement.opening = opening
    running = opening
    for index, line in enumerate(statement.lines):
        running += line.debit - line.credit
        statement.lines[index] = StatementLine(
            line.day, line.kind, line.number, line.description, line.debit, line.credit, running
        )
    aging = ar_aging(AgingParams(as_of=end, currency=currency), account_id=account.pk)
    statement.bucket_labels = [b.label for b in aging.buckets]
    statement.buckets = [ZERO] * len(aging.buckets)
    for group in aging.currencies:
        if group.currency == currency:
            statement.buckets = list(group.buckets)
            statement.unapplied_credits = group.unapplied_credits
    return statement


def statement_currencies(account: Account) -> list[str]:
    """The currencies the account was invoiced or paid in (its default one if none)."""
    codes = set(
        Invoice.objects.filter(account=account, number__isnull=False)
        .values_list("currency", flat=True)
        .distinct()
    )
    codes |= set(Payment.objects.filter(account=account).values_list("currency", flat=True))
    return sorted(codes) or [account.default_currency or "USD"]
