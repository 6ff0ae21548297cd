"""Demo billing history on top of the demo book: the seller, tax rates, a year of monthly
billing runs with issued invoices, payments (most on time, some late, some not yet) and a
few service credits on paid invoices (credit on account, one applied), so that invoices,
cash, AR aging and collections have something real to show.

Everything goes through the billing services. Historical invoices are issued without
the on-issue hooks (no e-mail to demo customers, no Stripe push); their PDFs render when
someone opens them. Running it again changes nothing.
"""

import random
from datetime import date, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db.models import Min
from django.utils import timezone

from billing.management.demo_checks import catch_up_invoices
from billing.models import BillingRun, Invoice, LegalEntity, TaxRate
from billing.services import (
    apply_credit_oldest_first,
    apply_payment,
    credit_notes,
    execute_billing_run,
    invoicing,
    issue_credit_note,
    issue_invoice,
    record_payment,
)
from billing.services.runs import due_lines
from core.money import round_money
from core.terms import add_months
from ordermgmt.demo_clock import clock_at

TAX_RATES = [
    ("US", "No sales tax on SaaS (demo)", Decimal("0")),
    ("DE", "Umsatzsteuer", Decimal("19")),
    ("GB", "VAT", Decimal("20")),
    ("JP", "Consumption tax", Decimal("10")),
]

# The seller's structured party data (e-invoices): what its address and remittance
# text say, as fields.
DEMO_SELLER = {
    "address_line1": "500 Howard Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "company_id": "94-3154823",
    "phone": "+1 415 555 0134",
    "bank_name": "First Demo Bank",
    "bank_account_number": "1234567890",
    "bic": "FDBKUS33",
}
RATE_CATEGORY = {
    "US": {
        "category": "O",
        "exemption_reason": "Not subject to VAT (US seller, US buyer)",
        "exemption_reason_code": "VATEX-EU-O",
    }
}


class Command(BaseCommand):
    help = "Load a year of demo billing: runs, issued invoices and payments."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--months", type=int, default=12)

    def handle(self, *args, seed, months, **options):
        if LegalEntity.objects.exists():
            self.stdout.write("Demo billing already loaded; keeping it as it is.")
            return
        rng = random.Random(seed)
        LegalEntity.objects.create(
            name="Ledgerline Demo Inc.",
            address="500 Howard Street\nSan Francisco, CA 94105\nUnited States",
            tax_id="US 94-0000000",
            remit_to="First Demo Bank · ABA 021000021 · Account 1234567890 · "
            "SWIFT FDBKUS33 · Reference: invoice number",
            email="billing@ledgerline.example",
            is_default=True,
            **DEMO_SELLER,
        )
        for country, name, percent in TAX_RATES:
            TaxRate.objects.create(
                country=country,
                name=name,
                percent=percent,
                effective_from=date(2020, 1, 1),
                **RATE_CATEGORY.get(country, {}),
            )
        finance = get_user_model().objects.filter(username="finance").first()
        specialist = get_user_model().objects.filter(username="specialist").first()
        hooks = list(invoicing.ON_ISSUE)
        invoicing.ON_ISSUE.clear()  # historical invoices: no e-mail, no Stripe push
        try:
            first_run, issued = self.bill_history(months, specialist)
        finally:
            invoicing.ON_ISSUE.extend(hooks)
        self.stdout.write("  recording payments received…")
        paid = self.pay(rng, finance)
        note_hooks = list(credit_notes.ON_CREDIT_NOTE)
        credit_notes.ON_CREDIT_NOTE.clear()  # no Stripe push of demo credit notes
        try:
            credits = self.service_credits(finance)
        finally:
            credit_notes.ON_CREDIT_NOTE.extend(note_hooks)
        self.stdout.write(
            f"Billed from {first_run:%B %Y}: {issued} invoices issued, {paid} payments "
            f"recorded, {credits} service credits left on account; "
            f"{len(catch_up_invoices())} invoices bill more than one period of a line."
        )

    def service_credits(self, finance) -> int:
        """10 % service credits on the three latest fully paid invoices: the invoices owed
        nothing more, so the credit stays on account; the first is applied at once to its
        customer's oldest open invoice, if it has one."""
        paid = Invoice.objects.filter(status="issued", settlement_status="paid").order_by(
            "-invoice_date", "-id"
        )[:3]
        for index, invoice in enumerate(paid):
            note = issue_credit_note(
                invoice=invoice,
                actor=finance,
                reason="Service credit: platform outage (SLA)",
                amount=round_money(invoice.total_amount / 10, invoice.currency),
            )
            has_open = Invoice.objects.filter(
                account=invoice.account,
                currency=invoice.currency,
                status="issued",
                settlement_status__in=["unpaid", "partially_paid"],
            ).exists()
            if index == 0 and has_open:
                apply_credit_oldest_first(credit_note=note, actor=finance)
        return len(paid)

    def bill_history(self, months: int, specialist) -> tuple[date, int]:
        """Monthly billing runs from the month of the earliest unbilled period (or `months`
        ago, if earlier) to today, each issuing its invoices on its own day: every period
        is billed on the first run after its billing date, one period a line an invoice,
        as a book that had billed all along would show (no catch-up invoices)."""
        today = timezone.localdate()
        first = add_months(today.replace(day=1), -months)
        earliest = due_lines(today).aggregate(day=Min("billing_date"))["day"]
        if earliest is not None and earliest < first:
            first = earliest.replace(day=1)
        run_dates = []
        while first <= today:  # the 1st of each month, this month's included
            run_dates.append(first)
            first = add_months(first, 1)
        issued = 0
        for step, run_date in enumerate(run_dates, start=1):
            with clock_at(run_date):
                run = BillingRun.objects.create(run_date=run_date, created_by=specialist)
                execute_billing_run(run=run)
                drafts = list(Invoice.objects.filter(billing_run=run, status="draft"))
                for invoice in drafts:
                    issue_invoice(invoice=invoice, actor=specialist)
            issued += len(drafts)
            # Progress while the history loads: one line per monthly run.
            self.stdout.write(
                f"  billing run {run_date:%Y-%m-%d} ({step}/{len(run_dates)}): "
                f"{len(drafts)} invoices issued",
            )
            self.stdout.flush()
        return run_dates[0], issued

    def pay(self, rng: random.Random, finance) -> int:
        """Most customers pay around the due date; a few pay part, late, or not yet."""
        today = timezone.localdate()
        payments = 0
        invoices = Invoice.objects.filter(status="issued").select_related("account")
        for invoice in invoices.order_by("invoice_date", "id"):  # the payer read with each
            if invoice.total_amount <= 0:
                continue
            roll = rng.random()
            received = max(
                invoice.due_date + timedelta(days=rng.randint(-10, 25)), invoice.invoice_date
            )
            if roll < 0.12 or received > today:
                continue  # open: not yet due, or overdue and unpaid
            amount = invoice.total_amount
            if roll < 0.18:
                amount = round_money(amount / 2, invoice.currency)  # paid in part
            with clock_at(received, time(14)):
                self.record(invoice, amount, received, rng, finance)
            payments += 1
            if payments % 250 == 0:
                self.stdout.write(f"  payments recorded: {payments}")
                self.stdout.flush()
        return payments

    def record(self, invoice, amount, received, rng, finance) -> None:
        """The payment as it was recorded on the day it came in."""
        payment = record_payment(
            account=invoice.account,
            amount=amount,
            currency=invoice.currency,
            received_date=received,
            method=rng.choice(["wire", "ach", "check", "card"]),
            reference=f"REM-{invoice.number}",
            actor=finance,
        )
        apply_payment(
            payment=payment, invoice=invoice, amount=amount, actor=finance, applied_date=received
        )
