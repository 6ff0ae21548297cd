"""Demo bank statements: a week of CAMT.053 files per currency, written from the demo's
open invoices the way customers really pay (invoice number quoted, two invoices in one
wire, short payments, no reference, a payer name that differs, strangers, bank fees),
then imported through the same service as an upload. Running it again changes nothing
(the statements are already imported)."""

import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.bank.camt_writer import camt053_statement
from billing.bank.models import BankStatement
from billing.bank.parsers.records import CREDIT, DEBIT, ParsedEntry
from billing.bank.selectors import matching_share
from billing.bank.services import import_bank_statement
from billing.models import Invoice, InvoiceStatus, SettlementStatus
from core.money import round_money

OUR_ACCOUNTS = {
    "USD": "US64SVBKUS6S3300958879",
    "EUR": "DE89370400440532013000",
    "GBP": "GB29NWBK60161331926819",
    "JPY": "JP0000MIZUHO00012345678",
}
STRANGERS = ["J. Smith", "Globex Holdings", "M. Rossi", "Initech Payments"]


class Command(BaseCommand):
    help = "Write and import demo bank statements (CAMT.053) and report the matching share."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--credits", type=int, default=60)

    def handle(self, *args, seed, credits, **options):
        if BankStatement.objects.filter(statement_id__startswith="DEMO-").exists():
            self.stdout.write("Demo bank statements already imported; keeping them.")
            return
        rng = random.Random(seed)
        today = timezone.localdate()
        open_invoices = list(
            Invoice.objects.filter(status=InvoiceStatus.ISSUED, invoice_date__lt=today)
            .exclude(settlement_status=SettlementStatus.PAID)
            .exclude(number=None)
            .select_related("account")
            .order_by("due_date", "id")
        )
        rng.shuffle(open_invoices)
        by_currency: dict[str, list[ParsedEntry]] = defaultdict(list)
        used: set[int] = set()
        for n, invoice in enumerate(open_invoices):
            if len(used) >= credits or invoice.pk in used or invoice.open_amount <= 0:
                continue
            used.add(invoice.pk)
            entry = self.credit(rng, n, invoice, open_invoices, used, today)
            by_currency[invoice.currency].append(entry)
        for currency, entries in by_currency.items():
            entries.append(
                ParsedEntry(
                    bank_reference=f"DEMO-FEE-{currency}",
                    direction=DEBIT,
                    amount=round_money(Decimal("15"), currency),
                    currency=currency,
                    booking_date=today - timedelta(days=1),
                    value_date=None,
                    payer_name="Demo Bank",
                    remittance_text="Account maintenance fee",
                )
            )
            content = camt053_statement(
                statement_id=f"DEMO-{currency}-{today.isoformat()}",
                bank_account=OUR_ACCOUNTS.get(currency, f"XX00DEMO{currency}"),
                currency=currency,
                opening_balance=round_money(Decimal("250000"), currency),
                from_date=today - timedelta(days=7),
                to_date=today - timedelta(days=1),
                entries=sorted(entries, key=lambda e: e.booking_date),
            )
            result = import_bank_statement(
                content=content, actor=None, file_name=f"demo-{currency}.xml"
            )
            self.stdout.write(
                f"{currency}: {result.created} bank transactions, "
                f"{result.auto_applied} applied automatically."
            )
        share = matching_share(BankStatement.objects.filter(statement_id__startswith="DEMO-"))
        self.stdout.write(
            f"Demo statements: {share.auto_applied} of {share.credits} credits applied "
            f"automatically ({share.auto_share}%), {share.still_open} left in the queue."
        )

    def credit(self, rng, n, invoice, open_invoices, used, today) -> ParsedEntry:
        """One customer credit; the kind is drawn so that every case of the queue shows."""
        account, amount = invoice.account, invoice.open_amount
        payer, text = account.legal_name, f"Invoice {invoice.number}"
        roll = rng.random()
        if roll < 0.45:
            pass  # quotes the invoice number and pays it exactly
        elif roll < 0.58:
            other = next(
                (
                    i
                    for i in open_invoices
                    if i.account_id == account.pk
                    and i.currency == invoice.currency
                    and i.pk not in used
                    and i.open_amount > 0
                ),
                None,
            )
            if other is not None:  # two invoices in one wire
                used.add(other.pk)
                amount += other.open_amount
                text = f"INV {invoice.number} + {other.number}"
        elif roll < 0.68:  # short: bank charges or a disputed line deducted
            amount = round_money(amount * Decimal("0.97"), invoice.currency)
            text = f"Payment {invoice.number.replace('-', ' ')} less charges"
        elif roll < 0.80:
            text = "Payment for services"  # no reference: recognised by name and amount
        elif roll < 0.90:
            payer, text = f"{account.legal_name.split()[0]} Treasury Dept", "Supplier payment"
        else:
            payer, text = rng.choice(STRANGERS), "Transfer"
        return ParsedEntry(
            bank_reference=f"DEMO-{invoice.currency}-{n:05d}",
            direction=CREDIT,
            amount=amount,
            currency=invoice.currency,
            booking_date=max(today - timedelta(days=rng.randint(1, 7)), invoice.invoice_date),
            value_date=None,
            payer_name=payer,
            remittance_text=text,
        )
