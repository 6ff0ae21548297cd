"""The revenue journal: balanced debit/credit lines for a general ledger import.

Entries (each one balanced; its lines share `External ID`):
- INV-...   invoice issued:  Dr Accounts receivable (total) / Cr Deferred revenue (net, per
            product) / Cr Sales tax payable (tax)
- CN-...    credit note:     the reverse of an invoice, for the credited amounts
- REV-...   revenue recognised in a month (per contract): Dr Deferred revenue / Cr Revenue
            (per product, to the revenue account of its revenue type)
- POS-...   month-end presentation of the contract's net position: the change in its
            contract asset (Dr Contract asset - unbilled / Cr Deferred revenue) and in its
            refund liability (Dr Deferred revenue / Cr Refund liability)

So at every month end the deferred revenue account holds exactly the contract liabilities,
the contract asset account the unbilled positions (one net position per contract), and AR
what was invoiced less credited (payments are cash entries, outside this journal).

CSV layout (one line per debit or credit; NetSuite's Journal Entry import maps these
columns, grouping lines by External ID):

    External ID   entry id, e.g. REV-CTR-000012-2026-01 (groups the lines of one entry)
    Date          entry date, YYYY-MM-DD (set the import's date format to match)
    Currency      ISO 4217 code of the contract
    Account       GL account number (LEDGERLINE_REVENUE_ACCOUNTS setting)
    Account Name  GL account name
    Debit         amount with the currency's decimals, or empty
    Credit        amount with the currency's decimals, or empty
    Memo          what the entry is
    Line Memo     what the line is (product, document)
    Name          the customer (NetSuite entity name)
    Contract      contract reference (CTR-000012)
    Product       product SKU, when the line is per product
    Source        invoice or credit note number, or "revenue schedule"
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from core.terms import add_months
from ordermgmt.models import Contract, Product, RevenueType

from .selectors import (
    BILLED_STATUSES,
    ONE_DAY,
    Scope,
    _contracts_in_scope,
    _schedule_lines,
    accounting_map,
    contract_balances,
    exact,
    month_end,
    usage_events,
)

ZERO = Decimal(0)

DEFAULT_ACCOUNTS = {
    "receivable": ("1200", "Accounts receivable"),
    "contract_asset": ("1250", "Contract assets (unbilled receivables)"),
    "tax_payable": ("2200", "Sales tax payable"),
    "deferred_revenue": ("2400", "Deferred revenue (contract liabilities)"),
    "refund_liability": ("2450", "Refund liabilities"),
    "revenue:subscription": ("4000", "Subscription revenue"),
    "revenue:usage": ("4010", "Usage revenue"),
    "revenue:professional_services": ("4100", "Professional services revenue"),
    "revenue:one_time": ("4200", "One-time fee revenue"),
}

HEADER = [
    "External ID",
    "Date",
    "Currency",
    "Account",
    "Account Name",
    "Debit",
    "Credit",
    "Memo",
    "Line Memo",
    "Name",
    "Contract",
    "Product",
    "Source",
]


def accounts() -> dict[str, tuple[str, str]]:
    return {**DEFAULT_ACCOUNTS, **getattr(settings, "LEDGERLINE_REVENUE_ACCOUNTS", {})}


@dataclass
class JournalLine:
    entry_id: str
    entry_date: date
    currency: str
    account: str
    account_name: str
    debit: Decimal | None
    credit: Decimal | None
    memo: str
    line_memo: str
    customer: str
    contract: str
    product: str
    source: str

    def cells(self) -> list:
        return [
            self.entry_id,
            self.entry_date,
            self.currency,
            self.account,
            self.account_name,
            self.debit,
            self.credit,
            self.memo,
            self.line_memo,
            self.customer,
            self.contract,
            self.product,
            self.source,
        ]


class _Entry:
    def __init__(self, entry_id, entry_date, currency, memo, customer, contract, source):
        self.head = (entry_id, entry_date, currency)
        self.memo, self.customer, self.contract, self.source = memo, customer, contract, source
        self.lines: list[JournalLine] = []

    def post(self, key: str, amount: Decimal, *, debit: bool, line_memo: str = "", product=""):
        """A negative amount posts to the other side."""
        if amount == 0:
            return
        if amount < 0:
            amount, debit = -amount, not debit
        number, name = accounts()[key]
        self.lines.append(
            JournalLine(
                *self.head,
                number,
                name,
                amount if debit else None,
                None if debit else amount,
                self.memo,
                line_memo,
                self.customer,
                self.contract,
                product,
                self.source,
            )
        )


def _revenue_key(revenue_type: str) -> str:
    key = f"revenue:{revenue_type}"
    return key if key in accounts() else f"revenue:{RevenueType.SUBSCRIPTION}"


def revenue_journal(*, start: date, end: date, currency: str | None = None) -> list[JournalLine]:
    scope = Scope(currency=currency)
    contracts_qs = _contracts_in_scope(scope)
    mapping = accounting_map(list(contracts_qs.values_list("pk", flat=True)))
    entries: list[_Entry] = []
    contracts = {c.pk: c for c in contracts_qs.select_related("account")}
    products = {p.pk: p for p in Product.objects.all()}

    def root(contract_id: int) -> Contract:
        return contracts[mapping.get(contract_id, contract_id)]

    # Invoices and credit notes of the period.
    invoice_lines = defaultdict(list)
    for line in InvoiceLine.objects.filter(
        invoice__contract__in=contracts_qs,
        invoice__number__isnull=False,
        invoice__status__in=BILLED_STATUSES,
        invoice__invoice_date__range=(start, end),
    ).select_related("contract_line"):
        invoice_lines[line.invoice_id].append(line)
    for invoice in Invoice.objects.filter(pk__in=invoice_lines).order_by("invoice_date", "number"):
        contract = root(invoice.contract_id)
        entry = _Entry(
            invoice.number,  # numbers carry their prefix (INV-2026-000005)
            invoice.invoice_date,
            invoice.currency,
            f"Invoice {invoice.number}",
            contract.account.legal_name,
            contract.reference,
            invoice.number,
        )
        entry.post("receivable", invoice.total_amount, debit=True, line_memo="Invoice total")
        for product_id, amount in _per_product(invoice_lines[invoice.pk]).items():
            sku = products[product_id].sku if product_id else ""
            entry.post("deferred_revenue", amount, debit=False, line_memo="Billed", product=sku)
        entry.post("tax_payable", invoice.tax_amount, debit=False, line_memo="Tax")
        entries.append(entry)
    credit_lines = defaultdict(list)
    for line in CreditNoteLine.objects.filter(
        credit_note__invoice__contract__in=contracts_qs,
        credit_note__credit_date__range=(start, end),
    ).select_related("invoice_line__contract_line"):
        credit_lines[line.credit_note_id].append(line)
    for note in (
        CreditNote.objects.filter(pk__in=credit_lines)
        .select_related("invoice")
        .order_by("credit_date", "number")
    ):
        contract = root(note.invoice.contract_id)
        entry = _Entry(
            note.number,
            note.credit_date,
            note.currency,
            f"Credit note {note.number} on {note.invoice.number}",
            contract.account.legal_name,
            contract.reference,
            note.number,
        )
        per_product = defaultdict(Decimal)
        for line in credit_lines[note.pk]:
            contract_line = line.invoice_line.contract_line if line.invoice_line else None
            per_product[contract_line.product_id if contract_line else None] += line.amount
        for product_id, amount in per_product.items():
            sku = products[product_id].sku if product_id else ""
            entry.post("deferred_revenue", amount, debit=True, line_memo="Credited", product=sku)
        entry.post("tax_payable", note.tax_amount, debit=True, line_memo="Tax credited")
        entry.post("receivable", note.total_amount, debit=False, line_memo="Credit note total")
        entries.append(entry)

    # Revenue recognised, per contract and month, and the month-end positions.
    recognised = defaultdict(lambda: defaultdict(Decimal))  # (contract, month end) -> product
    for contract_id, product_id, day, amount in (
        _schedule_lines(end, scope)
        .filter(recognition_date__range=(start, end))
        .values_list("contract_id", "obligation__product_id", "recognition_date")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        recognised[(contract_id, min(month_end(day), end))][product_id] += exact(amount)
    for event in usage_events(end, scope):
        if event.recognition_date >= start:
            key = (event.contract_id, min(month_end(event.recognition_date), end))
            recognised[key][event.product_id] += event.amount
    for (contract_id, period_end), by_product in sorted(
        recognised.items(), key=lambda item: (item[0][1], contracts[item[0][0]].reference)
    ):
        contract = contracts[contract_id]
        entry = _Entry(
            f"REV-{contract.reference}-{period_end:%Y-%m}",
            period_end,
            contract.currency,
            f"Revenue recognised {period_end:%B %Y}",
            contract.account.legal_name,
            contract.reference,
            "revenue schedule",
        )
        for product_id, amount in sorted(by_product.items()):
            product = products[product_id]
            entry.post(
                "deferred_revenue", amount, debit=True, line_memo=product.name, product=product.sku
            )
            entry.post(
                _revenue_key(product.revenue_type),
                amount,
                debit=False,
                line_memo=product.name,
                product=product.sku,
            )
        entries.append(entry)

    previous = {b.contract_id: b for b in contract_balances(start - ONE_DAY, scope)}
    cursor = start
    while cursor <= end:
        period_end = min(month_end(cursor), end)
        current = {b.contract_id: b for b in contract_balances(period_end, scope)}
        for contract_id in sorted(set(previous) | set(current)):
            before, after = previous.get(contract_id), current.get(contract_id)
            asset_change = (after.contract_asset if after else ZERO) - (
                before.contract_asset if before else ZERO
            )
            refund_change = (after.refund_liability if after else ZERO) - (
                before.refund_liability if before else ZERO
            )
            if not asset_change and not refund_change:
                continue
            contract = contracts[contract_id]
            entry = _Entry(
                f"POS-{contract.reference}-{period_end:%Y-%m}",
                period_end,
                contract.currency,
                "Contract position at month end",
                contract.account.legal_name,
                contract.reference,
                "contract balance",
            )
            entry.post("contract_asset", asset_change, debit=True, line_memo="Unbilled")
            entry.post("deferred_revenue", asset_change, debit=False, line_memo="Unbilled")
            entry.post("deferred_revenue", refund_change, debit=True, line_memo="Expected refund")
            entry.post("refund_liability", refund_change, debit=False, line_memo="Expected refund")
            entries.append(entry)
        previous = current
        cursor = add_months(cursor.replace(day=1), 1)
    entries.sort(key=lambda e: (e.head[1], e.head[0]))
    return [line for entry in entries for line in entry.lines]


def _per_product(lines) -> dict[int | None, Decimal]:
    totals: dict[int | None, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.contract_line.product_id if line.contract_line else None] += line.amount
    return totals
