"""Reads for the matching queue, the statements list and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from billing.bank.models import (
    BankStatement,
    BankTransaction,
    Direction,
    MatchStatus,
    MatchSuggestion,
)
from billing.models import Invoice, InvoiceStatus, SettlementStatus
from ordermgmt.models import Account


def transactions_for_queue() -> QuerySet[BankTransaction]:
    """Every bank transaction with its proposals, oldest booked first; the queue page and
    the API filter it with BankTransactionFilter (billing/bank/filters.py)."""
    suggestions = MatchSuggestion.objects.select_related("account").prefetch_related(
        "allocations__invoice"
    )
    return (
        BankTransaction.objects.select_related("account", "payment", "statement", "matched_by")
        .prefetch_related(Prefetch("suggestions", queryset=suggestions))
        .order_by("booking_date", "id")
    )


def statements_for_list() -> QuerySet[BankStatement]:
    return BankStatement.objects.annotate(
        n_transactions=Count("transactions"),
        n_open=Count(
            "transactions",
            filter=Q(transactions__status=MatchStatus.OPEN, transactions__direction="credit"),
        ),
        n_auto=Count("transactions", filter=Q(transactions__auto_applied=True)),
    ).order_by("-imported_at", "-id")


def open_invoices_for_split(account: Account, currency: str) -> list[Invoice]:
    invoices = (
        Invoice.objects.filter(account=account, currency=currency, status=InvoiceStatus.ISSUED)
        .exclude(settlement_status=SettlementStatus.PAID)
        .order_by("due_date", "invoice_date", "id")
    )
    return [i for i in invoices if i.open_amount > 0]


@dataclass(frozen=True)
class MatchingShare:
    credits: int
    auto_applied: int
    confirmed: int
    still_open: int

    @property
    def auto_share(self) -> Decimal:
        if not self.credits:
            return Decimal(0)
        return (Decimal(self.auto_applied) / self.credits * 100).quantize(Decimal("0.1"))


def matching_share(statements: QuerySet[BankStatement] | None = None) -> MatchingShare:
    """How many incoming credits were applied automatically, confirmed by hand, or are
    still open (of the given statements, or all)."""
    credits = BankTransaction.objects.filter(direction=Direction.CREDIT)
    if statements is not None:
        credits = credits.filter(statement__in=statements)
    counts = credits.aggregate(
        total=Count("id"),
        auto=Count("id", filter=Q(auto_applied=True)),
        confirmed=Count("id", filter=Q(auto_applied=False) & ~Q(status=MatchStatus.OPEN)),
        open=Count("id", filter=Q(status=MatchStatus.OPEN)),
    )
    return MatchingShare(counts["total"], counts["auto"], counts["confirmed"], counts["open"])
