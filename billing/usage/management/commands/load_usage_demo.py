"""Demo usage deals: four usage-commit customers with 2026's usage, billed month by month,
so a new user sees burn-down, drawdown invoices, overage, an expiring promotional credit,
a true-up and a commitment paid in quarterly installments. Runs after `load_billing_demo`
or on its own; running it again changes nothing (it stops when its accounts exist).

    manage.py load_usage_demo
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand

from billing.models import BillingRun, LegalEntity, TaxRate
from billing.services import invoicing, issue_invoice
from billing.services.runs import bill_chunk
from billing.usage.models import CommitmentKind, PaymentPlan
from billing.usage.parsers import body_events
from billing.usage.services import (
    InstallmentPlan,
    PriceTerms,
    grant_commitment,
    set_usage_price,
)
from billing.usage.services.alerts import send_balance_alerts
from billing.usage.services.ingestion import ingest_usage_events
from core.terms import add_months
from ordermgmt import services
from ordermgmt.demo_clock import clock_at
from ordermgmt.models import Account, Contact, Product

YEAR = 2026
TOKENS = [
    {"up_to": "50000000", "unit_price": "0.00002"},
    {"up_to": "200000000", "unit_price": "0.000015"},
    {"up_to": None, "unit_price": "0.00001"},
]
DEALS = [
    # name, daily tokens (Jan), monthly growth, commitments
    ("Nimbus AI GmbH", 5_000_000, Decimal("1.12"), "prepaid"),
    ("Orbital Labs Inc.", 1_500_000, Decimal("1.00"), "postpaid"),
    ("Quanta Robotics Ltd", 2_000_000, Decimal("1.05"), "credit"),
    ("Helix Genomics Inc.", 1_200_000, Decimal("1.04"), "installments"),
]

# Where each usage customer is billed (US entities of these groups), and the reference
# their AP team asks to see on invoices (XRechnung's buyer reference, BT-10).
BILL_TO = {
    "Nimbus AI GmbH": (
        "1 Market Street, Suite 3600",
        "San Francisco",
        "CA",
        "94105",
        "NIM-AP-4471",
    ),
    "Orbital Labs Inc.": ("2200 Mission College Blvd", "Santa Clara", "CA", "95054", "ORB-PO-2026"),
    "Quanta Robotics Ltd": ("100 Summer Street, Floor 12", "Boston", "MA", "02110", "QR-88120"),
    "Helix Genomics Inc.": ("4570 Executive Drive", "San Diego", "CA", "92121", "HLX-2026-17"),
}


class Command(BaseCommand):
    help = "Load four usage-commit demo customers with a year of usage and invoices."

    def handle(self, *args, **options):
        if Account.objects.filter(legal_name=DEALS[0][0]).exists():
            self.stdout.write("usage demo already loaded")
            return
        if not LegalEntity.objects.filter(is_default=True).exists():
            LegalEntity.objects.create(
                name="Ledgerline Demo GmbH", address="Berlin", remit_to="Demo Bank", is_default=True
            )
        if not TaxRate.objects.filter(country="US").exists():
            TaxRate.objects.create(
                country="US", name="none", percent=0, effective_from=date(2000, 1, 1)
            )
        self.seller, _ = LegalEntity.objects.get_or_create(
            name="Ledgerline Cloud LLC",
            defaults={
                "address": "500 Howard Street, Suite 400\nSan Francisco, CA 94105\nUnited States",
                "remit_to": "First Republic Trust, ACH 121000358, account 4410 2291 8830",
                "invoice_prefix": "CLD-",
                "credit_note_prefix": "CLD-CN-",
                "email": "billing@cloud.ledgerline.example",
                # Structured party data, so its invoices have e-invoices too.
                "address_line1": "500 Howard Street",
                "address_line2": "Suite 400",
                "city": "San Francisco",
                "region": "CA",
                "postal_code": "94105",
                "country": "US",
                "company_id": "94-3154824",
                "phone": "+1 415 555 0178",
                "bank_name": "First Republic Trust",
                "bank_account_number": "441022918830",
            },
        )
        product, _ = Product.objects.get_or_create(
            sku="AI-TOKENS", defaults={"name": "Model tokens", "revenue_type": "usage"}
        )
        rng = random.Random(YEAR)
        contracts = [self._deal(product, rng, *deal) for deal in DEALS]
        hooks = list(invoicing.ON_ISSUE)
        invoicing.ON_ISSUE.clear()  # history, as in load_billing_demo: no e-mail, no PDF now
        try:
            self._bill_the_year([c.pk for c in contracts])
        finally:
            invoicing.ON_ISSUE.extend(hooks)
        send_balance_alerts(as_of=date.today())
        self.stdout.write(f"usage demo: {len(contracts)} usage-commit contracts billed for {YEAR}")

    def _deal(self, product, rng, name, daily, growth, kind):
        street, city, region, postal_code, reference = BILL_TO[name]
        account = Account.objects.create(
            legal_name=name,
            billing_address_line1=street,
            billing_city=city,
            billing_region=region,
            billing_postal_code=postal_code,
            billing_country="US",
            buyer_reference=reference,
        )
        Contact.objects.create(
            account=account,
            name="Accounts payable",
            email=f"ap@{name.split()[0].lower()}.example",
            is_billing_contact=True,
        )
        contract = services.create_contract(
            account=account,
            terms=services.ContractTerms(
                name=f"{name.split()[0]} usage {YEAR}",
                start_date=date(YEAR, 1, 1),
                end_date=date(YEAR, 12, 31),
                currency="USD",
                billing_frequency="monthly",
            ),
            lines=[
                services.ContractLineInput(
                    product=product, quantity=Decimal(0), unit_price=Decimal(0)
                )
            ],
            actor=None,
        )
        services.submit_contract(contract=contract, actor=None)
        contract.refresh_from_db()
        if contract.status == "pending_review":
            services.approve_contract(contract=contract, actor=None, comment="usage demo")
        contract = services.activate_contract(contract=contract, actor=None)
        set_usage_price(
            contract_line=contract.lines.get(),
            terms=PriceTerms(
                metric="tokens",
                pricing_model="graduated",
                starts_on=contract.start_date,
                tiers=TOKENS,
            ),
            actor=None,
        )
        self._commitments(contract, kind)
        self._usage(contract, rng, daily, growth)
        return contract

    def _commitments(self, contract, kind):
        year = {"contract": contract, "starts_on": date(YEAR, 1, 1), "ends_on": date(YEAR, 12, 31)}
        if kind == "prepaid":  # exhausted in the autumn, then overage at 110 %
            grant_commitment(
                kind=CommitmentKind.PREPAID_COMMIT,
                payment_plan=PaymentPlan.UP_FRONT,
                name="2026 prepaid commitment",
                amount=Decimal("12000.00"),
                overage_percent=Decimal(110),
                actor=None,
                **year,
            )
            grant_commitment(
                kind=CommitmentKind.PROMOTIONAL_CREDIT,
                payment_plan=PaymentPlan.FREE,
                name="Launch credit",
                amount=Decimal("500.00"),
                contract=contract,
                starts_on=date(YEAR, 1, 1),
                ends_on=date(YEAR, 1, 31),
                actor=None,
            )
        elif kind == "postpaid":  # a minimum the usage will not reach: a true-up
            grant_commitment(
                kind=CommitmentKind.POSTPAID_COMMIT,
                payment_plan=PaymentPlan.IN_ARREARS,
                name="H1 minimum",
                amount=Decimal("8000.00"),
                contract=contract,
                starts_on=date(YEAR, 1, 1),
                ends_on=date(YEAR, 6, 30),
                actor=None,
            )
        elif kind == "installments":  # a commitment paid quarterly, drawn on from 1 January
            grant_commitment(
                kind=CommitmentKind.PREPAID_COMMIT,
                payment_plan=PaymentPlan.INSTALLMENTS,
                installments=InstallmentPlan(every="quarterly", count=4),
                name="2026 commitment, paid quarterly",
                amount=Decimal("24000.00"),
                actor=None,
                **year,
            )
        else:  # prepaid credit that expires mostly unused, with a promotional top-up
            grant_commitment(
                kind=CommitmentKind.PREPAID_CREDIT,
                payment_plan=PaymentPlan.UP_FRONT,
                name="Prepaid credit",
                amount=Decimal("6000.00"),
                actor=None,
                **year,
            )

    def _usage(self, contract, rng, daily, growth):
        events, day, last = [], date(YEAR, 1, 1), min(date.today(), date(YEAR, 12, 31))
        while day <= last:
            volume = Decimal(daily) * growth ** (day.month - 1)
            for hour in (3, 9, 15, 21):
                quantity = int(volume / 4 * Decimal(rng.uniform(0.6, 1.4)))
                events.append(
                    {
                        "event_id": f"demo-{contract.pk}-{day.isoformat()}-{hour}",
                        "contract": contract.reference,
                        "metric": "tokens",
                        "quantity": str(quantity),
                        "timestamp": f"{day.isoformat()}T{hour:02d}:00:00Z",
                    }
                )
            day += timedelta(days=1)
        ingest_usage_events(events=list(body_events(events)), source="demo")

    def _bill_the_year(self, contract_ids):
        """Monthly runs over these contracts only; all but the last invoice issued."""
        run_date = date(YEAR, 2, 1)
        while run_date <= min(date.today(), date(YEAR + 1, 1, 1)):
            with clock_at(run_date):  # billed and issued on the run's day
                run = BillingRun.objects.create(run_date=run_date)
                bill_chunk(run, contract_ids)
                # Usage deals are sold by the cloud business, with its own number series:
                # its invoices follow their own dates, apart from the subscription book's.
                run.invoices.filter(status="draft").update(legal_entity=self.seller)
                last = add_months(run_date, 1) > date.today()
                if not last:
                    for invoice in run.invoices.filter(status="draft"):
                        issue_invoice(invoice=invoice, actor=None, invoice_date=run_date)
            run_date = add_months(run_date, 1)
