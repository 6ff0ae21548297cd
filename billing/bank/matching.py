"""Proposals for an incoming credit: which customer paid, for which open invoices, why,
and how sure we are. Reads only; services.py stores and applies them.

Rules, strongest first (confidence 0..1):
- reference: the remittance text names open invoices (their number with or without
  separators, or its digits alone). Paying them exactly is 0.99 (applied automatically
  when the setting is on); a short or over payment is 0.80, allocated oldest due first.
- exact_amount: the payer is recognised (a bank account finance confirmed before, or the
  customer's legal name) and exactly one of its open invoices has the amount: 0.95 when
  recognised by bank account or exact name (automatic), 0.85 by a close name; several
  invoices of the same amount 0.50 each.
- combination: two to four of the payer's open invoices add up to the amount (bounded:
  its 15 oldest open invoices); one such set 0.90, several 0.50 each.
- payer: recognised but nothing adds up: oldest due first, 0.40.
- Unknown payer, no reference: one open invoice in all AR of exactly that amount, 0.60.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from billing.bank.models import BankTransaction, PayerAccount
from billing.models import Invoice, InvoiceStatus, SettlementStatus
from core.money import format_money
from ordermgmt.models import Account

AUTO_APPLY_CONFIDENCE = Decimal("0.95")
COMBINATION_POOL = 15
COMBINATION_MAX_SIZE = 4
MAX_PROPOSALS = 4

_LEGAL_SUFFIXES = {
    "inc", "llc", "ltd", "limited", "corp", "corporation", "co", "company", "gmbh", "ag",
    "sa", "sas", "sarl", "bv", "nv", "plc", "pty", "srl", "spa", "kg", "oy", "ab", "as",
}  # fmt: skip
_REFERENCE = re.compile(r"([A-Za-z]{0,6})[\s\-_/#:.]*(\d[\d\s\-_/.]*\d|\d)")


def normalise_reference(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())


def normalise_name(value: str) -> str:
    words = re.sub(r"[^a-z0-9 ]", " ", (value or "").lower()).split()
    return " ".join(w for w in words if w not in _LEGAL_SUFFIXES)


@dataclass
class Proposal:
    account: Account
    rule: str
    confidence: Decimal
    reason: str
    allocations: list[tuple[Invoice, Decimal]] = field(default_factory=list)

    @property
    def automatic(self) -> bool:
        return self.confidence >= AUTO_APPLY_CONFIDENCE


class OpenItems:
    """Open issued invoices, loaded once per import. Amounts proposed for automatic
    application are reserved, so two credits of one file never claim the same balance."""

    def __init__(self) -> None:
        invoices = (
            Invoice.objects.filter(status=InvoiceStatus.ISSUED)
            .exclude(settlement_status=SettlementStatus.PAID)
            .exclude(number=None)
            .select_related("account")
            .order_by("due_date", "invoice_date", "id")
        )
        self.reserved: dict[int, Decimal] = defaultdict(Decimal)
        self.by_reference: dict[str, Invoice] = {}
        digits: dict[str, list[Invoice]] = defaultdict(list)
        self.by_account: dict[int, list[Invoice]] = defaultdict(list)
        for invoice in invoices:
            if invoice.open_amount <= 0:
                continue
            self.by_reference[normalise_reference(invoice.number)] = invoice
            digits[re.sub(r"\D", "", invoice.number)].append(invoice)
            self.by_account[invoice.account_id].append(invoice)
        for key, found in digits.items():
            if len(found) == 1 and len(key) >= 5:
                self.by_reference.setdefault(key, found[0])
        self.accounts = {a.pk: a for a in Account.objects.all()}
        self.names: dict[str, list[int]] = defaultdict(list)
        for account in self.accounts.values():
            self.names[normalise_name(account.legal_name)].append(account.pk)
        self.payer_accounts = dict(PayerAccount.objects.values_list("payer_account", "account"))

    def open_amount(self, invoice: Invoice) -> Decimal:
        return invoice.open_amount - self.reserved[invoice.pk]

    def reserve(self, proposal: Proposal) -> None:
        for invoice, amount in proposal.allocations:
            self.reserved[invoice.pk] += amount

    def open_for(self, account_id: int, currency: str) -> list[Invoice]:
        return [
            i
            for i in self.by_account.get(account_id, [])
            if i.currency == currency and self.open_amount(i) > 0
        ]

    def referenced(self, text: str, currency: str) -> list[Invoice]:
        found: dict[int, Invoice] = {}
        for prefix, number in _REFERENCE.findall(text or ""):
            pieces = [number, *re.split(r"\s+", number)]
            for piece in pieces:
                for key in (normalise_reference(prefix + piece), normalise_reference(piece)):
                    invoice = self.by_reference.get(key)
                    if invoice and invoice.currency == currency and self.open_amount(invoice) > 0:
                        found[invoice.pk] = invoice
        return sorted(found.values(), key=lambda i: (i.due_date, i.invoice_date, i.pk))

    def payer(self, txn: BankTransaction) -> tuple[Account | None, str, bool]:
        """(customer, how it was recognised, sure?)"""
        if txn.payer_account and txn.payer_account in self.payer_accounts:
            account = self.accounts[self.payer_accounts[txn.payer_account]]
            return account, f"bank account {txn.payer_account} is {account.legal_name}'s", True
        name = normalise_name(txn.payer_name)
        if not name:
            return None, "", False
        exact = self.names.get(name, [])
        if len(exact) == 1:
            account = self.accounts[exact[0]]
            return account, f"payer name is {account.legal_name}", True
        close = difflib.get_close_matches(name, list(self.names), n=2, cutoff=0.85)
        if len(close) == 1 and len(self.names[close[0]]) == 1:
            account = self.accounts[self.names[close[0]][0]]
            return account, f"payer name {txn.payer_name!r} is close to {account.legal_name}", False
        return None, "", False


def _oldest_first(invoices, amount: Decimal, items: OpenItems) -> list[tuple[Invoice, Decimal]]:
    allocations, left = [], amount
    for invoice in invoices:
        if left <= 0:
            break
        part = min(left, items.open_amount(invoice))
        allocations.append((invoice, part))
        left -= part
    return allocations


def _numbers(invoices) -> str:
    return ", ".join(i.number for i in invoices)


def propose(txn: BankTransaction, items: OpenItems) -> list[Proposal]:
    """Ranked proposals for one incoming credit (empty when nothing fits)."""
    amount, currency = txn.amount, txn.currency
    money = format_money(amount, currency)
    payer, recognised, sure = items.payer(txn)
    proposals = _by_reference(txn, items, payer, recognised)
    if not proposals and payer is not None:
        proposals = _by_payer(payer, recognised, sure, amount, currency, items)
    if not proposals and payer is None:
        same = [
            i
            for invs in items.by_account.values()
            for i in invs
            if i.currency == currency and items.open_amount(i) == amount
        ]
        if len(same) == 1:
            proposals = [
                Proposal(
                    same[0].account,
                    "exact_amount",
                    Decimal("0.60"),
                    f"Payer not recognised; {same[0].number} is the only open invoice of {money}",
                    [(same[0], amount)],
                )
            ]
    proposals.sort(key=lambda p: -p.confidence)
    return proposals[:MAX_PROPOSALS]


def _by_reference(txn, items: OpenItems, payer, recognised) -> list[Proposal]:
    named = items.referenced(txn.remittance_text, txn.currency)
    groups: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in named:
        groups[invoice.account_id].append(invoice)
    proposals = []
    for invoices in groups.values():
        account = invoices[0].account
        open_total = sum((items.open_amount(i) for i in invoices), Decimal(0))
        what = f"Remittance names {_numbers(invoices)}"
        if txn.amount == open_total:
            confidence, reason = Decimal("0.99"), f"{what}; the amount pays them exactly"
        elif txn.amount < open_total:
            short = format_money(open_total - txn.amount, txn.currency)
            confidence, reason = Decimal("0.80"), f"{what}; short by {short}, oldest due first"
        else:
            extra = format_money(txn.amount - open_total, txn.currency)
            confidence = Decimal("0.80")
            reason = f"{what}; {extra} more than they owe stays unapplied"
        if payer is not None and payer.pk != account.pk:
            confidence = min(confidence, Decimal("0.60"))
            reason += f" (but the {recognised})"
        if len(groups) > 1:
            confidence = min(confidence, Decimal("0.60"))
            reason += " (invoices of several customers are named)"
        proposals.append(
            Proposal(
                account, "reference", confidence, reason, _oldest_first(invoices, txn.amount, items)
            )
        )
    return proposals


def _by_payer(payer, recognised, sure, amount, currency, items: OpenItems) -> list[Proposal]:
    money = format_money(amount, currency)
    open_invoices = items.open_for(payer.pk, currency)
    exact = [i for i in open_invoices if items.open_amount(i) == amount]
    if len(exact) == 1:
        confidence = Decimal("0.95") if sure else Decimal("0.85")
        reason = f"The {recognised}; {exact[0].number} is its only open invoice of {money}"
        return [Proposal(payer, "exact_amount", confidence, reason, [(exact[0], amount)])]
    if exact:
        return [
            Proposal(
                payer,
                "exact_amount",
                Decimal("0.50"),
                f"The {recognised}; {len(exact)} open invoices are of {money}, this is "
                f"{'the oldest' if rank == 0 else 'another'}",
                [(invoice, amount)],
            )
            for rank, invoice in enumerate(exact)
        ]
    sets = _combinations(open_invoices, amount, items)
    if sets:
        confidence = Decimal("0.90") if len(sets) == 1 else Decimal("0.50")
        return [
            Proposal(
                payer,
                "combination",
                confidence,
                f"The {recognised}; {_numbers(found)} add up to {money}"
                + ("" if len(sets) == 1 else f" (one of {len(sets)} such sets)"),
                [(i, items.open_amount(i)) for i in found],
            )
            for found in sets
        ]
    if not open_invoices:
        return [Proposal(payer, "payer", Decimal("0.40"), f"The {recognised}; nothing is open")]
    return [
        Proposal(
            payer,
            "payer",
            Decimal("0.40"),
            f"The {recognised}; the amount fits no set of its open invoices: oldest due first",
            _oldest_first(open_invoices, amount, items),
        )
    ]


def _combinations(open_invoices, amount: Decimal, items: OpenItems) -> list[tuple[Invoice, ...]]:
    """Sets of 2..4 of the customer's oldest open invoices paying `amount` exactly; the
    search is bounded (15 invoices, at most 1,925 sets) and stops at the fourth set."""
    pool = open_invoices[:COMBINATION_POOL]
    found = []
    for size in range(2, COMBINATION_MAX_SIZE + 1):
        for combo in combinations(pool, size):
            if sum((items.open_amount(i) for i in combo), Decimal(0)) == amount:
                found.append(combo)
                if len(found) == MAX_PROPOSALS:
                    return found
    return found
