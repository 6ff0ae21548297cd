"""Reads for the cash pages and API: payments (with what is left unapplied) and credit
notes' credit on account, their applications and refunds, and the invoices they can still
settle. No writes here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F, Prefetch, Q, QuerySet

from billing.models import (
    CreditApplication,
    CreditNote,
    CreditRefund,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    Refund,
)
from core.money import round_money

from .common import money

# --- Payment list ------------------------------------------------------------------------


def unapplied_q() -> Q:
    """Payments with cash still on account (neither applied nor refunded)."""
    return Q(amount__gt=F("applied_amount") + F("refunded_amount"))


def payments_for_list_base() -> QuerySet[Payment]:
    """What the payment list, its CSV and the API filter (billing.filters.PaymentFilter),
    newest first unless a sort is chosen."""
    return Payment.objects.select_related("account").order_by("-received_date", "-id")


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    amount: str
    applied: str
    refunded: str
    unapplied: str
    has_unapplied: bool


def payment_rows(payments: Iterable[Payment]) -> list[PaymentRow]:
    return [
        PaymentRow(
            payment=p,
            amount=money(p.amount, p.currency),
            applied=money(p.applied_amount, p.currency),
            refunded=money(p.refunded_amount, p.currency),
            unapplied=money(p.unapplied_amount, p.currency),
            has_unapplied=p.unapplied_amount > 0,
        )
        for p in payments
    ]


# --- One payment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationLine:
    application: PaymentApplication | CreditApplication
    amount: str
    is_reversal: bool
    is_reversed: bool

    @property
    def can_reverse(self) -> bool:
        return not self.is_reversal and not self.is_reversed


@dataclass(frozen=True)
class RefundLine:
    refund: Refund | CreditRefund
    amount: str


@dataclass(frozen=True)
class OpenInvoiceRow:
    invoice: Invoice
    open_amount: Decimal
    open: str
    total: str


@dataclass
class CashDetail:
    """What a payment's cash, or a credit note's credit on account, was used for."""

    source: Payment | CreditNote
    amount: str
    applied: str
    refunded: str
    unapplied: str
    has_unapplied: bool
    applications: list[ApplicationLine]
    refunds: list[RefundLine]


def payment_with_related(pk: int) -> Payment:
    return (
        Payment.objects.select_related("account", "created_by")
        .prefetch_related(
            Prefetch(
                "applications",
                queryset=PaymentApplication.objects.select_related(
                    "invoice", "created_by", "reversed_by"
                ).order_by("applied_date", "id"),
            ),
            Prefetch(
                "refunds",
                queryset=Refund.objects.select_related("created_by").order_by("refund_date", "id"),
            ),
        )
        .get(pk=pk)
    )


def _is_reversed(application: PaymentApplication | CreditApplication) -> bool:
    try:
        return application.reversed_by is not None
    except ObjectDoesNotExist:
        return False


def _cash_detail(source: Payment | CreditNote, amount: Decimal) -> CashDetail:
    """Amounts and the trail: applications in date order, each reversal a row of its own
    (negative), and refunds. `amount`: what there was to apply (the payment, or the
    credit the note left on account)."""
    currency = source.currency
    return CashDetail(
        source=source,
        amount=money(amount, currency),
        applied=money(source.applied_amount, currency),
        refunded=money(source.refunded_amount, currency),
        unapplied=money(source.unapplied_amount, currency),
        has_unapplied=source.unapplied_amount > 0,
        applications=[
            ApplicationLine(
                application=a,
                amount=money(a.amount, currency),
                is_reversal=a.reverses_id is not None,
                is_reversed=_is_reversed(a),
            )
            for a in source.applications.all()
        ],
        refunds=[
            RefundLine(refund=r, amount=money(r.amount, currency)) for r in source.refunds.all()
        ],
    )


def payment_detail(payment: Payment) -> CashDetail:
    return _cash_detail(payment, payment.amount)


# --- One credit note's credit on account ---------------------------------------------------


def credit_note_with_related(pk: int) -> CreditNote:
    return (
        CreditNote.objects.select_related("invoice__account", "created_by")
        .prefetch_related(
            Prefetch(
                "applications",
                queryset=CreditApplication.objects.select_related(
                    "invoice", "created_by", "reversed_by"
                ).order_by("applied_date", "id"),
            ),
            Prefetch(
                "refunds",
                queryset=CreditRefund.objects.select_related("created_by").order_by(
                    "refund_date", "id"
                ),
            ),
            "lines",
        )
        .get(pk=pk)
    )


def credit_note_detail(note: CreditNote) -> CashDetail:
    return _cash_detail(note, note.on_account_amount)


def source_account_id(source: Payment | CreditNote) -> int:
    return source.invoice.account_id if isinstance(source, CreditNote) else source.account_id


def open_invoice_rows(
    source: Payment | CreditNote, extra_ids: Iterable[int] = ()
) -> list[OpenInvoiceRow]:
    """The customer's issued invoices in the source's currency with a balance still open,
    oldest due first. `extra_ids` adds invoices a submitted form named although they are
    not (or no longer) among them, so that the form can show why they were refused."""
    still_open = Q(
        account_id=source_account_id(source),
        currency=source.currency,
        status=InvoiceStatus.ISSUED,
        paid_amount__lt=F("total_amount") - F("credited_amount"),
    )
    invoices = Invoice.objects.filter(still_open | Q(pk__in=list(extra_ids))).order_by(
        "due_date", "invoice_date", "id"
    )
    return [
        OpenInvoiceRow(
            invoice=i,
            open_amount=round_money(i.open_amount, i.currency),
            open=money(i.open_amount, i.currency),
            total=money(i.total_amount, i.currency),
        )
        for i in invoices
    ]


# --- API querysets ---------------------------------------------------------------------------


def payments_for_api() -> QuerySet[Payment]:
    return (
        Payment.objects.select_related("account")
        .prefetch_related(
            Prefetch(
                "applications",
                queryset=PaymentApplication.objects.select_related(
                    "invoice", "reversed_by"
                ).order_by("applied_date", "id"),
            ),
            Prefetch("refunds", queryset=Refund.objects.order_by("refund_date", "id")),
        )
        .order_by("-received_date", "-id")
    )


def applications_for_api() -> QuerySet[PaymentApplication]:
    return PaymentApplication.objects.select_related("payment", "invoice", "reversed_by").order_by(
        "applied_date", "id"
    )
