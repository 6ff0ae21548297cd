"""Contracts that the default deal desk rules pass or flag, built through the services."""

from decimal import Decimal

from ordermgmt import services
from ordermgmt.models import DealDeskRule, RevenueType
from tests.factories import ProductFactory, ProductPriceFactory, line_input, make_contract


def priced_product(
    *,
    sku: str | None = None,
    currency: str = "USD",
    list_price: Decimal | str = "1200",
    floor_price: Decimal | str | None = None,
    revenue_type: str = RevenueType.SUBSCRIPTION,
):
    product = ProductFactory(revenue_type=revenue_type, **({"sku": sku} if sku else {}))
    ProductPriceFactory(
        product=product,
        currency=currency,
        list_price=Decimal(list_price),
        standalone_selling_price=Decimal(list_price),
        floor_price=Decimal(floor_price) if floor_price is not None else None,
    )
    return product


def standard_line(product=None, **overrides) -> services.ContractLineInput:
    """10 seats at the list price of 1,200 a year: inside every default policy."""
    return line_input(product or priced_product(), **overrides)


def standard_contract(*, lines=None, **terms):
    """NET30, annual in advance, one year, USD, list prices: nothing flags."""
    return make_contract(lines=lines if lines is not None else [standard_line()], **terms)


def flagged_contract(**terms):
    """Standard but for Net 90 payment terms: one flag, one approver."""
    return standard_contract(**{"payment_terms": "NET90", **terms})


def rule(rule_type: str) -> DealDeskRule:
    return DealDeskRule.objects.get(rule_type=rule_type)


def only_rules(*rule_types: str) -> None:
    """Deactivate every other rule so a test sees one evaluator's flags alone."""
    DealDeskRule.objects.exclude(rule_type__in=rule_types).update(active=False)
    DealDeskRule.objects.filter(rule_type__in=rule_types).update(active=True)
