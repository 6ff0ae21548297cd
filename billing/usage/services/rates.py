"""Rate cards: the price of each metric on a contract's usage line, changing at dates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from billing.error_codes import BillingError
from billing.usage.models import PricingModel, UsagePrice
from billing.usage.pricing import parse_tiers
from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.models import ContractLine, RevenueType


@dataclass
class PriceTerms:
    metric: str
    pricing_model: str
    starts_on: date
    ends_on: date | None = None
    unit_price: Decimal = Decimal(0)
    package_size: Decimal | None = None
    tiers: list[dict] = field(default_factory=list)


def check_price(contract_line: ContractLine, terms: PriceTerms) -> None:
    contract = contract_line.contract
    if contract_line.product.revenue_type != RevenueType.USAGE:
        raise DomainValidationError(
            field="contract_line",
            code=BillingError.NOT_USAGE_PRICED,
            message=f"{contract_line.product.sku} is not priced by usage.",
        )
    if terms.pricing_model not in PricingModel.values:
        raise DomainValidationError(
            field="pricing_model",
            code=BillingError.UNKNOWN_PRICING_MODEL,
            message=f"Pricing model must be one of {', '.join(PricingModel.values)}.",
        )
    if not contract.start_date <= terms.starts_on <= contract.end_date:
        raise DomainValidationError(
            field="starts_on",
            code=BillingError.OUTSIDE_CONTRACT_TERM,
            message=f"{terms.starts_on} is outside the contract term.",
        )
    if terms.ends_on is not None and terms.ends_on < terms.starts_on:
        raise DomainValidationError(
            field="ends_on",
            code=BillingError.ENDS_BEFORE_START,
            message="The price ends before it starts.",
        )
    if terms.unit_price < 0:
        raise DomainValidationError(
            field="unit_price",
            code=BillingError.NEGATIVE_PRICE,
            message="A price cannot be negative.",
        )
    if terms.pricing_model == PricingModel.PACKAGE and not (
        terms.package_size and terms.package_size > 0
    ):
        raise DomainValidationError(
            field="package_size",
            code=BillingError.REQUIRED,
            message="A package price needs a package size above zero.",
        )
    if terms.pricing_model in (PricingModel.GRADUATED, PricingModel.VOLUME):
        parse_tiers(terms.tiers)
    other_line = (
        UsagePrice.objects.filter(contract=contract, metric=terms.metric)
        .exclude(contract_line=contract_line)
        .exists()
    )
    if other_line:
        raise DomainValidationError(
            field="metric",
            code=BillingError.METRIC_ON_OTHER_LINE,
            message=f"{terms.metric} is already priced on another line of this contract.",
        )


def set_usage_price_body(*, contract_line: ContractLine, terms: PriceTerms, actor) -> UsagePrice:
    """Adds a rate for a metric from a date (a ramp when the metric already has one)."""
    contract_line = ContractLine.objects.select_related("contract", "product").get(
        pk=contract_line.pk
    )
    check_price(contract_line, terms)
    price = UsagePrice(
        contract=contract_line.contract,
        contract_line=contract_line,
        metric=terms.metric,
        pricing_model=terms.pricing_model,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        currency=contract_line.contract.currency,
        unit_price=terms.unit_price,
        package_size=terms.package_size,
        tiers=[{k: (None if v is None else str(v)) for k, v in t.items()} for t in terms.tiers],
    )
    if UsagePrice.objects.filter(
        contract=price.contract, metric=price.metric, starts_on=price.starts_on
    ).exists():
        raise DomainValidationError(
            field="starts_on",
            code=BillingError.DUPLICATE_START,
            message=f"{price.metric} already has a price starting {price.starts_on}.",
        )
    audit_next_save(price, actor=actor, reason=f"usage price {price.metric} from {price.starts_on}")
    price.save()
    return price


# The service; the body alone is for the admin's change form, already in a transaction.
set_usage_price = transaction.atomic(durable=True)(set_usage_price_body)
