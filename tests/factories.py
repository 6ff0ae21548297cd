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
