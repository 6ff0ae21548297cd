"""Worked examples of the four pricing models, rounded once per line by the caller."""

from datetime import date
from decimal import Decimal

import pytest

from billing.usage.models import UsagePrice
from billing.usage.pricing import price_period, price_quantity
from billing.usage.services import PriceTerms, set_usage_price
from core.errors import DomainValidationError
from tests.usage.factories import TIERS, usage_contract

pytestmark = pytest.mark.django_db


def price(model, **kw):
    return UsagePrice(metric="m", pricing_model=model, tiers=TIERS, **kw)


def test_graduated_and_volume_tiers_differ_across_the_tier_boundary():
    # Tiers: up to 1,000 units at 0.10, above 1,000 at 0.08.
    # At exactly 1,000 both models charge 1,000 x 0.10 = 100 (the bound is inclusive).
    assert price_quantity(price("graduated"), Decimal(1000)).amount == Decimal("100.00")
    assert price_quantity(price("volume"), Decimal(1000)).amount == Decimal("100.00")
    # One unit across the boundary:
    # graduated prices each slice at its own tier: 1,000 x 0.10 + 1 x 0.08 = 100.08;
    # volume prices every unit at the tier the total falls in: 1,001 x 0.08 = 80.08.
    graduated = price_quantity(price("graduated"), Decimal(1001))
    volume = price_quantity(price("volume"), Decimal(1001))
    assert graduated.amount == Decimal("100.08")
    assert [(p.quantity, p.unit_price) for p in graduated.parts] == [
        (Decimal(1000), Decimal("0.10")),
        (Decimal(1), Decimal("0.08")),
    ]
    assert volume.amount == Decimal("80.08")
    assert [(p.quantity, p.unit_price) for p in volume.parts] == [(Decimal(1001), Decimal("0.08"))]


def test_package_pricing_charges_whole_packages_started():
    package = UsagePrice(
        metric="m", pricing_model="package", unit_price=Decimal("5"), package_size=Decimal(100)
    )
    assert price_quantity(package, Decimal(201)).amount == Decimal(15)  # 3 packages x 5
    assert price_quantity(package, Decimal(200)).amount == Decimal(10)
    assert price_quantity(package, Decimal(0)).amount == Decimal(0)


def test_a_ramp_inside_a_period_prices_each_segment_at_its_own_rate():
    january = UsagePrice(
        pk=1,
        metric="m",
        pricing_model="per_unit",
        unit_price=Decimal("0.10"),
        starts_on=date(2026, 1, 1),
    )
    from_15th = UsagePrice(
        pk=2,
        metric="m",
        pricing_model="per_unit",
        unit_price=Decimal("0.05"),
        starts_on=date(2026, 1, 15),
    )
    segments = price_period(
        [january, from_15th], [(date(2026, 1, 3), Decimal(100)), (date(2026, 1, 20), Decimal(100))]
    )
    # 100 x 0.10 before the 15th, 100 x 0.05 from it.
    assert [s.amount for s in segments] == [Decimal("10.00"), Decimal("5.00")]


def test_a_price_for_a_metric_priced_on_another_line_is_refused_and_nothing_saved():
    contract = usage_contract()
    line = contract.lines.get()
    before = UsagePrice.objects.count()
    with pytest.raises(DomainValidationError) as err:
        set_usage_price(
            contract_line=line,
            terms=PriceTerms(
                metric="api-calls",
                pricing_model="graduated",
                starts_on=date(2026, 2, 1),
                tiers=[{"up_to": "10", "unit_price": "1"}, {"up_to": "5", "unit_price": "1"}],
            ),
            actor=None,
        )
    assert (err.value.field, err.value.code) == ("tiers", "tiers_not_ascending")
    assert UsagePrice.objects.count() == before


def test_a_price_starting_outside_the_term_is_refused():
    contract = usage_contract()
    with pytest.raises(DomainValidationError) as err:
        set_usage_price(
            contract_line=contract.lines.get(),
            terms=PriceTerms(metric="x", pricing_model="per_unit", starts_on=date(2027, 2, 1)),
            actor=None,
        )
    assert (err.value.field, err.value.code) == ("starts_on", "outside_contract_term")
