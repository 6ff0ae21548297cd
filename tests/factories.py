"""Minimal valid objects. Contracts are made through the contract services."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from ordermgmt import services
from ordermgmt.models import Account, Contact, Product, ProductPrice, RevenueType

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    legal_name = factory.Sequence(lambda n: f"Customer {n} Inc.")
    billing_country = "US"
    default_currency = "USD"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Payer {n}")
    email = factory.Sequence(lambda n: f"payer{n}@customer.example")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")
    revenue_type = RevenueType.SUBSCRIPTION


class ProductPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductPrice

    product = factory.SubFactory(ProductFactory)
    currency = "USD"
    standalone_selling_price = Decimal("1200")
    list_price = Decimal("1200")


def contract_terms(**overrides) -> services.ContractTerms:
    values = {
        "name": "Annual platform deal",
        "start_date": date(2026, 1, 1),
        "end_date": date(2026, 12, 31),
        "currency": "USD",
        "payment_terms": "NET30",
    }
    values.update(overrides)
    return services.ContractTerms(**values)


def line_input(product=None, **overrides) -> services.ContractLineInput:
    values = {
        "product": product or ProductFactory(),
        "quantity": Decimal("10"),
        "unit_price": Decimal("1200"),
    }
    values.update(overrides)
    return services.ContractLineInput(**values)


def make_contract(*, account=None, actor=None, lines=None, **terms):
    return services.create_contract(
        account=account or AccountFactory(),
        terms=contract_terms(**terms),
        lines=lines if lines is not None else [line_input()],
        actor=actor,
    )


# --- Billing ---------------------------------------------------------------------------


class LegalEntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.LegalEntity"

    name = "Ledgerline Demo GmbH"
    address = "Hauptstrasse 1\n10115 Berlin\nDE"
    tax_id = "DE999999999"
    remit_to = "Demo Bank AG, IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX"
    is_default = True


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.TaxRate"

    country = "US"
    name = "Sales tax"
    percent = Decimal("0")
    effective_from = date(2000, 1, 1)


def billable_account(**overrides):
    """An account the billing run will invoice: billing contact and a tax rate."""
    account = AccountFactory(**overrides)
    ContactFactory(account=account)
    from billing.models import TaxRate

    if not TaxRate.objects.filter(country=account.billing_country).exists():
        TaxRateFactory(country=account.billing_country)
    return account


def active_contract(*, account=None, lines=None, **terms):
    """A contract through the whole lifecycle up to active (its schedule exists)."""
    from billing.models import LegalEntity

    if not LegalEntity.objects.filter(is_default=True).exists():
        LegalEntityFactory()
    contract = make_contract(account=account or billable_account(), lines=lines, **terms)
    services.submit_contract(contract=contract, actor=None)
    contract.refresh_from_db()
    if contract.status == "pending_review":
        services.approve_contract(contract=contract, actor=None, comment="test approval")
    return services.activate_contract(contract=contract, actor=None)


def default_legal_entity():
    from billing.models import LegalEntity

    return LegalEntity.objects.filter(is_default=True).first() or LegalEntityFactory()


def seller_rounds_tax(rule: str):
    """The default seller's tax rounding rule: 'line' or 'total' (per rate)."""
    seller = default_legal_entity()
    seller.tax_rounding = rule
    seller.save(update_fields=["tax_rounding"])
    return seller


class IssuedInvoiceFactory(factory.django.DjangoModelFactory):
    """One issued invoice of one untaxed line, issued through billing's issue service (its
    number, due date from the payment terms, buyer snapshot, audit): what a test of cash,
    credit or collections needs, without a contract or a billing run.

    IssuedInvoiceFactory(account=a, total="12000.00", invoice_date=..., payment_terms="NET60")
    """

    class Meta:
        model = "billing.Invoice"

    class Params:
        total = Decimal("1000.00")

    legal_entity = factory.LazyFunction(default_legal_entity)
    account = factory.SubFactory(AccountFactory)
    currency = "USD"
    invoice_date = date(2026, 1, 1)
    due_date = factory.SelfAttribute("invoice_date")  # the issue service sets it from terms
    payment_terms = "NET30"
    buyer_name = factory.SelfAttribute("account.legal_name")
    subtotal_amount = factory.LazyAttribute(lambda o: Decimal(o.total))
    total_amount = factory.LazyAttribute(lambda o: Decimal(o.total))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from billing.models import InvoiceLine
        from billing.services import issue_invoice

        invoice = model_class.objects.create(**kwargs)
        amount = invoice.total_amount
        InvoiceLine.objects.create(
            invoice=invoice, position=1, description="Platform", quantity=1, unit_price=amount,
            amount=amount,
        )  # fmt: skip
        return issue_invoice(invoice=invoice, actor=None, invoice_date=invoice.invoice_date)
