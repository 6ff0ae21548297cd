"""A realistic, deterministic demo book: accounts, products, opportunities, contracts.

Runs the same contract services as the console, so the demo data obeys every rule
(and has an audit trail). Running it again on a database that has the book changes
nothing.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.terms import add_months
from ordermgmt import roles, services
from ordermgmt.demo_addresses import demo_party
from ordermgmt.demo_clock import clock_at
from ordermgmt.models import (
    Account,
    Contact,
    Contract,
    DealDeskDecision,
    DealDeskReview,
    Opportunity,
    OpportunityLine,
    Product,
    ProductPrice,
    RevenueType,
)

CURRENCIES = ["USD", "USD", "USD", "EUR", "EUR", "GBP", "JPY"]
# Yen prices are about 150x dollar prices; other currencies close to par.
FX = {"USD": Decimal("1"), "EUR": Decimal("0.92"), "GBP": Decimal("0.79"), "JPY": Decimal("150")}
COUNTRY = {"USD": "US", "EUR": "DE", "GBP": "GB", "JPY": "JP"}
TERMS = ["NET30", "NET30", "NET45", "NET60", "NET30EOM", "EOM", "1MEOM", "NET90"]
FREQUENCIES = ["annual", "annual", "quarterly", "monthly"]
PRODUCTS = [
    ("PLAT-SEAT", "Platform seat (annual)", RevenueType.SUBSCRIPTION, Decimal("1200")),
    ("PLAT-ENT", "Enterprise platform fee (annual)", RevenueType.SUBSCRIPTION, Decimal("48000")),
    ("ANALYTICS", "Analytics add-on (annual)", RevenueType.SUBSCRIPTION, Decimal("9000")),
    ("SUPPORT-PREM", "Premium support (annual)", RevenueType.SUBSCRIPTION, Decimal("6000")),
    ("IMPL", "Implementation services", RevenueType.PROFESSIONAL_SERVICES, Decimal("15000")),
    ("ONBOARD", "Onboarding fee", RevenueType.ONE_TIME, Decimal("2500")),
    ("API-CALLS", "API calls (per 1,000)", RevenueType.USAGE, Decimal("0.40")),
    ("TRAINING", "Training day", RevenueType.PROFESSIONAL_SERVICES, Decimal("1800")),
]
NAME_A = [
    "Northwind",
    "Contoso",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Acme",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Massive",
    "Oceanic",
    "Pied Piper",
    "Wonka",
    "Gringotts",
    "Monarch",
]
NAME_B = [
    "Logistics",
    "Health",
    "Capital",
    "Robotics",
    "Foods",
    "Energy",
    "Media",
    "Retail",
    "Labs",
    "Analytics",
    "Pharma",
    "Insurance",
    "Aerospace",
    "Mobility",
    "Bank",
]
SUFFIX = {"USD": "Inc.", "EUR": "GmbH", "GBP": "Ltd", "JPY": "K.K."}
DEMO_PASSWORD_SUFFIX = "-ledger-2026"
ACTIVATION_DAYS = 7  # after the close; the desk decides within 160 hours (spread_review_times)
NAME_C = ["Holdings", "Group", "International", "Partners", "Systems", "Services", "Global"]


def demo_company_name(rng, suffix: str, used: set[str]) -> str:
    """A company name not used yet, read as a customer would write it (no internal number
    on it: it prints on invoices)."""
    for words in (2, 2, 2, 3, 3, 3, 3, 3, 3):
        parts = [rng.choice(NAME_A), rng.choice(NAME_B)]
        if words == 3:
            parts.append(rng.choice(NAME_C))
        name = " ".join([*parts, suffix])
        if name not in used:
            used.add(name)
            return name
    raise CommandError("Not enough demo company names for so many accounts.")


class Command(BaseCommand):
    help = "Load a deterministic demo book (accounts, products, contracts) and demo users."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--accounts", type=int, default=220)
        parser.add_argument("--contracts", type=int, default=540)

    def handle(self, *args, seed, accounts, contracts, **options):
        users = self.create_demo_users()
        if Contract.objects.exists():
            self.stdout.write("Demo book already loaded; keeping the data as it is.")
        else:
            rng = random.Random(seed)
            self.load_book(rng, accounts, contracts, users)
        self.stdout.write(self.style.SUCCESS("Demo users (username / password):"))
        for username, role in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {username}{DEMO_PASSWORD_SUFFIX}   ({role})")

    def create_demo_users(self):
        User = get_user_model()
        users = {}
        for username, role in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "first_name": username.title(), "email": ""},
            )
            if created:
                user.set_password(f"{username}{DEMO_PASSWORD_SUFFIX}")
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[role] = user
        return users

    @transaction.atomic
    def load_book(self, rng, n_accounts, n_contracts, users):
        products = self.create_products()
        specialist = users[roles.ORDER_SPECIALIST]
        deal_desk = users[roles.DEAL_DESK]
        account_rows = []
        used_names = set()
        for i in range(n_accounts):
            currency = rng.choice(CURRENCIES)
            name = demo_company_name(rng, SUFFIX[currency], used_names)
            # The same draws as before structured addresses, so the book stays the same.
            street_number = rng.randint(1, 999)
            place_pick = rng.randrange(5)  # was rng.choice of five city names
            postal_seed = rng.randint(10000, 99999)
            id_seed = rng.randint(100000, 999999)
            account_rows.append(
                Account(
                    legal_name=name,
                    billing_country=COUNTRY[currency],
                    **demo_party(
                        country=COUNTRY[currency],
                        index=i,
                        street_number=street_number,
                        place_pick=place_pick,
                        postal_seed=postal_seed,
                        id_seed=id_seed,
                    ),
                    tax_exempt=rng.random() < 0.05,
                    default_currency=currency,
                    default_payment_terms=rng.choice(TERMS[:4]),
                    salesforce_id=f"001DEMO{i:011d}",
                )
            )
        Account.objects.bulk_create(account_rows)
        all_accounts = list(Account.objects.order_by("id"))
        Contact.objects.bulk_create(
            [
                Contact(
                    account=a,
                    name=f"Accounts Payable {a.pk}",
                    email=f"ap{a.pk}@customer{a.pk}.example",
                    is_billing_contact=True,
                )
                for a in all_accounts
            ]
        )
        today = date.today()
        for i in range(n_contracts):
            account = all_accounts[i % len(all_accounts)]
            currency = account.default_currency
            start = today.replace(day=1) - timedelta(days=rng.randint(-90, 900))
            if rng.random() < 0.3:
                start = start.replace(day=rng.randint(1, 28))  # mid-month starts get prorated
            years = rng.choice([1, 1, 2, 3])
            end = add_months(start, 12 * years) - timedelta(days=1)
            # Booked and reviewed when the deal closed and activated a week later, as a
            # real book was: the records' times (created, activated, audit history) say so.
            close_date = min(start - timedelta(days=rng.randint(5, 40)), today)
            with clock_at(close_date):
                owner_name = rng.choice(["Dana Sales", "Lee Closer", "Kim Quota"])
                lines = self.contract_lines(rng, products, currency, start, end, years)
                amount = sum(
                    (
                        line.quantity * line.unit_price * (100 - line.discount_percent) / 100
                        for line in lines
                    ),
                    Decimal(0),
                )
                # Written once with its amount (the draws in the same order as ever).
                opportunity = Opportunity.objects.create(
                    salesforce_id=f"006DEMO{i:011d}",
                    account=account,
                    name=f"{account.legal_name.split(' #')[0]} — {years}y deal",
                    stage=Opportunity.CLOSED_WON,
                    close_date=close_date,  # before the start, never later than today
                    amount=amount.quantize(Decimal("1") if currency == "JPY" else Decimal("0.01")),
                    currency=currency,
                    owner_name=owner_name,
                )
                OpportunityLine.objects.bulk_create(
                    [
                        OpportunityLine(
                            opportunity=opportunity,
                            product=line.product,
                            quantity=line.quantity,
                            unit_price=line.unit_price,
                            total_price=(line.quantity * line.unit_price).quantize(Decimal("0.01")),
                        )
                        for line in lines
                    ]
                )
                contract = self.create_contract_via_service(
                    rng, account, opportunity, currency, start, end, lines, specialist
                )
                contract = self.advance(rng, contract, specialist, [deal_desk, users[roles.ADMIN]])
            if contract.status == "active" and contract.end_date < today:
                _call_without_durable(services.expire_contract, contract=contract, actor=specialist)
            if (i + 1) % 100 == 0 or i + 1 == n_contracts:
                self.stdout.write(f"  contracts: {i + 1}/{n_contracts}")
                self.stdout.flush()
        spread_review_times(rng, timezone.now())
        self.stdout.write(
            f"Loaded {len(all_accounts)} accounts, {len(products)} products, "
            f"{Contract.objects.count()} contracts."
        )

    def create_products(self):
        self.list_prices = {}  # (sku, currency): list price, read once per line otherwise
        products = []
        for sku, name, revenue_type, usd_price in PRODUCTS:
            product = Product.objects.create(sku=sku, name=name, revenue_type=revenue_type)
            for currency, rate in FX.items():
                price = (usd_price * rate).quantize(Decimal("0.01"))
                # As the database gives it back (6 places), so the book reads the same.
                self.list_prices[(sku, currency)] = price.quantize(Decimal("0.000001"))
                ProductPrice.objects.create(
                    product=product,
                    currency=currency,
                    standalone_selling_price=price,
                    list_price=price,
                    floor_price=(price * Decimal("0.7")).quantize(Decimal("0.01")),
                )
            products.append(product)
        return {p.sku: p for p in products}

    def contract_lines(self, rng, products, currency, start, end, years):
        def price(sku):
            return self.list_prices[(sku, currency)]

        lines = []
        seats = Decimal(rng.choice([10, 25, 50, 100, 250]))
        discount = Decimal(rng.choice([0, 0, 5, 10, 15, 20, 35]))
        seat_line = services.ContractLineInput(
            product=products["PLAT-SEAT"],
            quantity=seats,
            unit_price=price("PLAT-SEAT"),
            discount_percent=discount,
        )
        if years > 1 and rng.random() < 0.35:
            # A ramp: more seats each contract year.
            steps = []
            for year in range(years):
                step_start = add_months(start, 12 * year)
                step_end = min(add_months(start, 12 * (year + 1)) - timedelta(days=1), end)
                steps.append(
                    services.RampStepInput(
                        start_date=step_start,
                        end_date=step_end,
                        quantity=seats * (year + 1),
                        unit_price=price("PLAT-SEAT"),
                    )
                )
            seat_line.ramp_steps = steps
        lines.append(seat_line)
        for sku in ["ANALYTICS", "SUPPORT-PREM"]:
            if rng.random() < 0.4:
                lines.append(
                    services.ContractLineInput(
                        product=products[sku],
                        quantity=Decimal(1),
                        unit_price=price(sku),
                        discount_percent=discount,
                    )
                )
        if rng.random() < 0.5:
            lines.append(
                services.ContractLineInput(
                    product=products["ONBOARD"],
                    quantity=Decimal(1),
                    unit_price=price("ONBOARD"),
                )
            )
        if rng.random() < 0.25:
            lines.append(
                services.ContractLineInput(
                    product=products["IMPL"],
                    quantity=Decimal(1),
                    unit_price=price("IMPL"),
                )
            )
        return lines

    def create_contract_via_service(
        self, rng, account, opportunity, currency, start, end, lines, specialist
    ):
        frequency = rng.choice(FREQUENCIES)
        terms = services.ContractTerms(
            name=opportunity.name,
            start_date=start,
            end_date=end,
            currency=currency,
            payment_terms=rng.choice(TERMS),
            billing_frequency=frequency,
            billing_timing="arrears" if rng.random() < 0.08 else "advance",
            po_number=f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.6 else "",
            auto_renew=rng.random() < 0.3,
        )
        return _call_without_durable(
            services.create_contract,
            account=account,
            terms=terms,
            lines=lines,
            actor=specialist,
            opportunity=opportunity,
            owner=specialist,
        )

    def advance(self, rng, contract, specialist, approvers):
        """Spread the book over the lifecycle, through the same services."""
        roll = rng.random()
        if roll < 0.12:
            return contract  # draft
        # Standard contracts are approved by the deal desk rules at once.
        contract = _call_without_durable(
            services.submit_contract, contract=contract, actor=specialist
        )
        if roll < 0.25 and contract.status == "pending_review":
            return contract  # waiting for deal desk
        for approver in approvers:  # large deals need a second, different approver
            if contract.status == "pending_review":
                contract = _call_without_durable(
                    services.approve_contract,
                    contract=contract,
                    actor=approver,
                    comment="Non-standard terms accepted for this customer.",
                )
        if roll < 0.32:
            return contract  # approved, waiting for activation
        if roll < 0.34:
            return _call_without_durable(
                services.cancel_contract,
                contract=contract,
                actor=specialist,
                comment="Customer withdrew before go-live.",
            )
        # Activated a week after the deal closed, once the desk's approvals are in.
        activation = contract.opportunity.close_date + timedelta(days=ACTIVATION_DAYS)
        with clock_at(activation):
            return _call_without_durable(
                services.activate_contract, contract=contract, actor=specialist
            )


def spread_review_times(rng, now) -> None:
    """The reviews were opened and decided a moment ago, as the book was loaded; give them
    the times a real desk would have had: opened when the deal closed (pending ones in
    the last days), decided hours to days later, and their decisions at that moment, so
    the desk's weekly figures and SLA ages are spread out rather than all "0 h this week".
    The reviews and decisions themselves were made by the deal desk services."""
    reviews = DealDeskReview.objects.select_related("contract__opportunity").order_by("id")
    for review in reviews:
        close = review.contract.opportunity.close_date if review.contract.opportunity else None
        if review.decided_at is None or close is None:
            opened = now - timedelta(hours=rng.uniform(2, 96))  # waiting in the queue now
        else:
            opened = timezone.make_aware(datetime.combine(close, time(9))) + timedelta(
                minutes=rng.randint(0, 8 * 60)
            )
            # A deal that closed today, loaded before the desk's working hours, was
            # reviewed in the last hour, not later today.
            opened = min(opened, now - timedelta(hours=1))
        shift = opened - review.opened_at
        updates = {"opened_at": opened}
        if review.sla_due_at:
            updates["sla_due_at"] = review.sla_due_at + shift
        if review.decided_at is not None:
            # Most within a working day or two; some wait most of a week.
            took = timedelta(hours=min(rng.lognormvariate(2.3, 0.9), 160))
            decided = min(opened + took, now)
            if review.contract.activated_at:  # approved before it was activated
                decided = min(decided, review.contract.activated_at)
            updates["decided_at"] = decided
            DealDeskDecision.objects.filter(review=review).update(created_at=decided)
        DealDeskReview.objects.filter(pk=review.pk).update(**updates)


def _call_without_durable(service, **kwargs):
    # The loader wraps the whole book in one transaction; services are durable
    # atomics, so call the function they wrap.
    return service.__wrapped__(**kwargs)


DEMO_USERS = [
    ("specialist", roles.ORDER_SPECIALIST),
    ("dealdesk", roles.DEAL_DESK),
    ("finance", roles.FINANCE),
    ("auditor", roles.AUDITOR),
    ("admin", roles.ADMIN),
]
