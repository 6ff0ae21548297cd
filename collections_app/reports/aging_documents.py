"""AR aging drill-down: the documents open as of a date, one row each (invoices with an
open amount, payments with unapplied cash, credit notes with credit on account), for one
customer's page and for the exports. What counts as of the date is billing's one rule
(billing.selectors.ar_as_of)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    QuerySet,
)

from billing.selectors.ar_as_of import (
    CREDIT_APPLIED,
    CREDIT_REFUNDED,
    CREDITED,
    INVOICED,
    PAID,
    PUT_ON_ACCOUNT,
    RECEIVED,
    REFUNDED,
)
from ordermgmt.models import Account

from .aging import (
    ZERO,
    AgingParams,
    AgingReport,
    Bucket,
    ar_aging,
    bucket_index,
)

# --- Drill-down: one customer's documents -----------------------------------------------


@dataclass
class AgingDocument:
    kind: str  # "invoice", "payment" (unapplied cash) or "credit_note" (credit on account)
    pk: int
    account_id: int
    account_name: str
    reference: str
    currency: str
    document_date: date
    due_date: date | None
    amount: Decimal  # invoice total / payment amount
    credited: Decimal  # credit (notes and credit applied) dated <= as_of (invoices)
    settled: Decimal  # applications dated <= as_of (invoices: paid; others: applied)
    refunded: Decimal  # refunds dated <= as_of (payments, credit notes)
    open_amount: Decimal  # invoices: open amount; others: unapplied, negative
    days: int | None  # days since the basis date (invoices)
    bucket: int | None
    source: str = ""


@dataclass
class CustomerAging:
    params: AgingParams
    account: Account
    buckets: list[Bucket]
    documents: list[AgingDocument]
    summary: AgingReport  # the same customer's row(s) from ar_aging, for the totals

    def documents_in(self, currency: str) -> list[AgingDocument]:
        return [d for d in self.documents if d.currency == currency]


@dataclass
class OpenDocuments:
    """The documents open as of a date, as annotated querysets (not yet ordered): shared
    by the drill-down below and the streamed export (exports.document_rows)."""

    invoices: QuerySet  # + credited_to_date, paid_to_date, open_to_date
    payments: QuerySet  # + applied_to_date, refunded_to_date, unapplied
    credit_notes: QuerySet  # with credit on account; + applied_to_date, refunded_to_date,
    # unapplied


def open_documents(params: AgingParams, *, account_id: int | None = None) -> OpenDocuments:
    """Invoices with an open amount, payments with unapplied cash and credit notes with
    credit left on account, as of params.as_of. Per-document correlated sums: meant for
    one customer's drill-down or an export, not for the summary."""
    d = params.as_of
    money = DecimalField(max_digits=19, decimal_places=4)
    scope = {"as_of": d, "currency": params.currency, "account_id": account_id}
    invoices = (
        INVOICED.rows(**scope)
        .annotate(
            notes_to_date=CREDITED.sum_per("invoice", d),
            credit_applied_to_date=CREDIT_APPLIED.sum_per("invoice", d),
            paid_to_date=PAID.sum_per("invoice", d),
        )
        .annotate(
            credited_to_date=ExpressionWrapper(
                F("notes_to_date") + F("credit_applied_to_date"), output_field=money
            ),
        )
        .annotate(
            open_to_date=ExpressionWrapper(
                F("total_amount") - F("credited_to_date") - F("paid_to_date"), output_field=money
            )
        )
        .exclude(open_to_date=0)
    )
    payments = (
        RECEIVED.rows(**scope)
        .annotate(
            applied_to_date=PAID.sum_per("payment", d),
            refunded_to_date=REFUNDED.sum_per("payment", d),
        )
        .annotate(
            unapplied=ExpressionWrapper(
                F("amount") - F("applied_to_date") - F("refunded_to_date"), output_field=money
            )
        )
        .exclude(unapplied=0)
    )
    credit_notes = (
        PUT_ON_ACCOUNT.rows(**scope)
        .annotate(
            applied_to_date=CREDIT_APPLIED.sum_per("credit_note", d),
            refunded_to_date=CREDIT_REFUNDED.sum_per("credit_note", d),
        )
        .annotate(
            unapplied=ExpressionWrapper(
                F("on_account_amount") - F("applied_to_date") - F("refunded_to_date"),
                output_field=money,
            )
        )
        .exclude(unapplied=0)
    )
    return OpenDocuments(invoices, payments, credit_notes)


def aging_documents(params: AgingParams, *, account_id: int | None = None) -> list[AgingDocument]:
    """Every document open as of params.as_of, one row each (see open_documents). Rows
    come as plain values, not model instances (an Invoice instance snapshots itself for
    its immutability check, which a million-row export need not pay for)."""
    d = params.as_of
    open_docs = open_documents(params, account_id=account_id)
    invoices = open_docs.invoices.order_by(
        "account__legal_name", "account_id", "currency", params.basis, "id"
    ).values(
        "pk",
        "account_id",
        "account__legal_name",
        "number",
        "currency",
        "invoice_date",
        "due_date",
        "total_amount",
        "credited_to_date",
        "paid_to_date",
        "open_to_date",
        "source",
    )
    payments = open_docs.payments.order_by(
        "account__legal_name", "account_id", "currency", "received_date", "id"
    ).values(
        "pk",
        "account_id",
        "account__legal_name",
        "reference",
        "currency",
        "received_date",
        "amount",
        "applied_to_date",
        "refunded_to_date",
        "unapplied",
    )
    credit_notes = open_docs.credit_notes.order_by(
        "invoice__account__legal_name", "currency", "credit_date", "id"
    ).values(
        "pk",
        "invoice__account_id",
        "invoice__account__legal_name",
        "number",
        "currency",
        "credit_date",
        "on_account_amount",
        "applied_to_date",
        "refunded_to_date",
        "unapplied",
    )

    documents = []
    for row in invoices.iterator(chunk_size=5000):
        days = (d - row[params.basis]).days
        documents.append(
            AgingDocument(
                kind="invoice",
                pk=row["pk"],
                account_id=row["account_id"],
                account_name=row["account__legal_name"],
                reference=row["number"],
                currency=row["currency"],
                document_date=row["invoice_date"],
                due_date=row["due_date"],
                amount=row["total_amount"],
                credited=row["credited_to_date"],
                settled=row["paid_to_date"],
                refunded=ZERO,
                open_amount=row["open_to_date"],
                days=days,
                bucket=bucket_index(days, params.edges),
                source=row["source"],
            )
        )
    for row in payments.iterator(chunk_size=5000):
        documents.append(
            AgingDocument(
                kind="payment",
                pk=row["pk"],
                account_id=row["account_id"],
                account_name=row["account__legal_name"],
                reference=row["reference"],
                currency=row["currency"],
                document_date=row["received_date"],
                due_date=None,
                amount=row["amount"],
                credited=ZERO,
                settled=row["applied_to_date"],
                refunded=row["refunded_to_date"],
                open_amount=-row["unapplied"],
                days=None,
                bucket=None,
            )
        )
    for row in credit_notes.iterator(chunk_size=5000):
        documents.append(
            AgingDocument(
                kind="credit_note",
                pk=row["pk"],
                account_id=row["invoice__account_id"],
                account_name=row["invoice__account__legal_name"],
                reference=row["number"],
                currency=row["currency"],
                document_date=row["credit_date"],
                due_date=None,
                amount=row["on_account_amount"],
                credited=ZERO,
                settled=row["applied_to_date"],
                refunded=row["refunded_to_date"],
                open_amount=-row["unapplied"],
                days=None,
                bucket=None,
            )
        )
    documents.sort(key=lambda doc: (doc.account_name.casefold(), doc.account_id, doc.currency))
    return documents


def customer_aging(params: AgingParams, account: Account) -> CustomerAging:
    return CustomerAging(
        params=params,
        account=account,
        buckets=params.buckets,
        documents=aging_documents(params, account_id=account.pk),
        summary=ar_aging(params, account_id=account.pk),
    )
