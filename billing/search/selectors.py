"""What the top-bar search finds, grouped by kind and limited to what the user may see.

Every match is one the indexes in `billing/search/indexes.py` serve on PostgreSQL:
numbers and references match by prefix (`istartswith`), names by substring (trigram),
amounts exactly, read by the one amount parser (`1,200.00`, `1200`). A contract is also
found by its reference (`CTR-000042`). Each kind is a separate small query capped at
`limit` rows (one more is read to say "more").

A kind with a number (invoices, credit notes, payment references) lists the rows whose
number starts with the query first, in number order, so the exact number comes first and
INV-2026-000100 before INV-2026-000120. That query is ordered by the index itself
(`ORDER BY ... USING ~<~`, the operator of its `text_pattern_ops`), so PostgreSQL still
stops after `limit + 1` rows however many numbers share the prefix. The rest (PO,
processor id, amount, name) has no ORDER BY on purpose: a sort would read every match
before the limit. Those hits follow, put in order in Python (newest first, customers by
name); "more" tells the user to type more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import OrderBy, Q, QuerySet, TextField
from django.db.models.functions import Cast, Upper
from django.urls import reverse

from billing.models import CreditNote, Invoice, Payment
from core.amount_input import AmountInputError, parse_amount
from core.money import format_money
from ordermgmt.models import Account, Contract, Opportunity

MIN_QUERY_LENGTH = 2
MIN_NAME_LENGTH = 3  # trigrams: shorter substrings would scan every name
_CONTRACT_REFERENCE = re.compile(r"^CTR-?0*(\d{1,9})$", re.IGNORECASE)


@dataclass(frozen=True)
class SearchHit:
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    title: str
    hits: list[SearchHit]
    more: bool


@dataclass(frozen=True)
class SearchTerms:
    text: str
    amount: Decimal | None
    contract_id: int | None

    @property
    def names(self) -> bool:
        return len(self.text) >= MIN_NAME_LENGTH


def search_terms(query: str) -> SearchTerms:
    text = " ".join(query.split())
    try:
        amount = parse_amount(text)
    except AmountInputError:
        amount = None
    if amount is not None and amount <= 0:
        amount = None
    match = _CONTRACT_REFERENCE.match(text)
    return SearchTerms(text=text, amount=amount, contract_id=int(match[1]) if match else None)


def _prefix(terms: SearchTerms, *fields: str) -> Q:
    condition = Q(pk__in=[])
    for field in fields:
        condition |= Q(**{f"{field}__istartswith": terms.text})
    return condition


class _NumberOrder(OrderBy):
    """Ascending by `UPPER(field)` in the byte order of the prefix index, which PostgreSQL
    can then read in order; elsewhere (SQLite) a plain ascending sort."""

    def __init__(self, field: str):
        super().__init__(Upper(Cast(field, TextField())))

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.expression)
        # Django finds an ORDER BY term's direction by the word ASC/DESC; USING has none.
        return f"{sql} USING ~<~ /* ASC */", params


def customers_matching(terms: SearchTerms) -> QuerySet:
    """By name, processor or CRM id, or the PO number of one of its contracts."""
    # Read first, as a list: a subquery inside the OR would make PostgreSQL scan every
    # account instead of OR-ing index scans.
    by_po = list(
        Contract.objects.filter(po_number__istartswith=terms.text)
        .order_by()
        .values_list("account_id", flat=True)[:50]
    )
    condition = _prefix(terms, "stripe_customer_id", "salesforce_id") | Q(pk__in=by_po)
    if terms.names:
        condition |= Q(legal_name__icontains=terms.text)
    return Account.objects.filter(condition).order_by()


def _customer_hit(account: Account) -> SearchHit:
    detail = " · ".join(x for x in (account.stripe_customer_id, account.billing_country) if x)
    return SearchHit(
        label=account.legal_name,
        detail=detail,
        url=reverse("billing:account_detail", args=[account.pk]),
    )


def _contracts(terms: SearchTerms) -> QuerySet:
    condition = _prefix(terms, "po_number")
    if terms.names:
        condition |= Q(name__icontains=terms.text)
    if terms.contract_id is not None:
        condition |= Q(pk=terms.contract_id)
    return Contract.objects.filter(condition).select_related("account").order_by()


def _contract_hit(contract: Contract) -> SearchHit:
    po = f" · PO {contract.po_number}" if contract.po_number else ""
    return SearchHit(
        label=f"{contract.reference} {contract.name}",
        detail=f"{contract.account.legal_name} · {contract.get_status_display()}{po}",
        url=reverse("admin:ordermgmt_contract_change", args=[contract.pk]),
    )


def _opportunities(terms: SearchTerms) -> QuerySet:
    condition = _prefix(terms, "salesforce_id")
    if terms.names:
        condition |= Q(name__icontains=terms.text)
    if terms.amount is not None:
        condition |= Q(amount=terms.amount)
    return Opportunity.objects.filter(condition).select_related("account").order_by()


def _opportunity_hit(opportunity: Opportunity) -> SearchHit:
    return SearchHit(
        label=opportunity.name,
        detail=f"{opportunity.account.legal_name} · {opportunity.stage} · "
        f"{format_money(opportunity.amount, opportunity.currency)}",
        url=reverse("admin:ordermgmt_opportunity_change", args=[opportunity.pk]),
    )


def _invoices(terms: SearchTerms) -> QuerySet:
    condition = _prefix(terms, "number", "po_number", "stripe_invoice_id")
    if terms.amount is not None:
        condition |= Q(total_amount=terms.amount)
    return Invoice.objects.filter(condition).select_related("account").order_by()


def _invoice_hit(invoice: Invoice) -> SearchHit:
    po = f" · PO {invoice.po_number}" if invoice.po_number else ""
    return SearchHit(
        label=invoice.number or f"Draft #{invoice.pk}",
        detail=f"{invoice.account.legal_name} · "
        f"{format_money(invoice.total_amount, invoice.currency)} · "
        f"{invoice.get_status_display()}{po}",
        url=reverse("billing:invoice_detail", args=[invoice.pk]),
    )


def _credit_notes(terms: SearchTerms) -> QuerySet:
    condition = _prefix(terms, "number")
    if terms.amount is not None:
        condition |= Q(total_amount=terms.amount)
    return CreditNote.objects.filter(condition).select_related("invoice__account").order_by()


def _credit_note_hit(note: CreditNote) -> SearchHit:
    return SearchHit(
        label=note.number,
        detail=f"{note.invoice.account.legal_name} · "
        f"{format_money(note.total_amount, note.currency)} · on {note.invoice.number}",
        url=reverse("billing:credit_note_detail", args=[note.pk]),
    )


def _payments(terms: SearchTerms) -> QuerySet:
    condition = _prefix(terms, "reference", "external_id")
    if terms.amount is not None:
        condition |= Q(amount=terms.amount)
    return Payment.objects.filter(condition).select_related("account").order_by()


def _payment_hit(payment: Payment) -> SearchHit:
    return SearchHit(
        label=payment.label,
        detail=f"{payment.account.legal_name} · {format_money(payment.amount, payment.currency)}"
        f" · received {payment.received_date:%Y-%m-%d}",
        url=reverse("billing:payment_detail", args=[payment.pk]),
    )


@dataclass(frozen=True)
class _Kind:
    kind: str
    title: str
    permissions: tuple[str, ...]
    queryset: Callable[[SearchTerms], QuerySet]
    hit: Callable[[object], SearchHit]
    order: Callable[[object], object] = lambda row: -row.pk
    number_field: str | None = None

    def rows(self, terms: SearchTerms, limit: int) -> tuple[list, bool]:
        """Up to `limit` rows: number matches in number order, then the other matches."""
        numbered = []
        if self.number_field:
            numbered = list(
                self.queryset(terms)
                .filter(**{f"{self.number_field}__istartswith": terms.text})
                .order_by(_NumberOrder(self.number_field))[: limit + 1]
            )
            if len(numbered) > limit:
                return numbered[:limit], True
        seen = {row.pk for row in numbered}
        # The rest may repeat the number matches; read enough to fill up past them.
        rest = [
            row for row in self.queryset(terms)[: limit + 1 + len(numbered)] if row.pk not in seen
        ]
        rest = sorted(rest, key=self.order)
        rows = numbered + rest
        return rows[:limit], len(rows) > limit


# The permissions are those of the page each hit links to.
KINDS = [
    _Kind(
        "customers",
        "Customers",
        ("ordermgmt.view_account", "billing.view_invoice"),
        customers_matching,
        _customer_hit,
        lambda account: (account.legal_name, account.pk),
    ),
    _Kind("contracts", "Contracts", ("ordermgmt.view_contract",), _contracts, _contract_hit),
    _Kind(
        "opportunities",
        "Opportunities",
        ("ordermgmt.view_opportunity",),
        _opportunities,
        _opportunity_hit,
    ),
    _Kind(
        "invoices",
        "Invoices",
        ("billing.view_invoice",),
        _invoices,
        _invoice_hit,
        number_field="number",
    ),
    _Kind(
        "credit_notes",
        "Credit notes",
        ("billing.view_creditnote",),
        _credit_notes,
        _credit_note_hit,
        number_field="number",
    ),
    _Kind(
        "payments",
        "Payments",
        ("billing.view_payment",),
        _payments,
        _payment_hit,
        number_field="reference",
    ),
]


def searchable_kinds(user) -> list[str]:
    return [kind.kind for kind in KINDS if user.has_perms(kind.permissions)]


def search_book(*, query: str, user, limit: int = 10) -> list[SearchGroup]:
    """The groups with at least one hit, in a fixed order, only of kinds `user` may see."""
    terms = search_terms(query)
    if len(terms.text) < MIN_QUERY_LENGTH:
        return []
    groups = []
    for kind in KINDS:
        if not user.has_perms(kind.permissions):
            continue
        rows, more = kind.rows(terms, limit)
        if rows:
            groups.append(
                SearchGroup(
                    kind=kind.kind,
                    title=kind.title,
                    hits=[kind.hit(row) for row in rows],
                    more=more,
                )
            )
    return groups
