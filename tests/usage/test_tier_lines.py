"""Usage invoice lines per metric and tier, worked step by step: the same 1,500 calls
across the 1,000 boundary of the tiers 0-1,000 at 0.10 and above at 0.08, priced
graduated (one line per tier) and volume (one line naming the tier that applied)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingScheduleLine, Invoice
from billing.usage.services import PriceTerms, set_usage_price
from tests.usage.factories import ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db


def january_lines(contract):
    return list(Invoice.objects.get(contract=contract).lines.order_by("position"))


def test_a_graduated_price_crossing_a_tier_bills_one_line_per_tier_with_its_why():
    contract = usage_contract(pricing_model="graduated")
    ingest_usage(contract, ((1, 5), 900), ((1, 20), 600))
    run_billing(date(2026, 2, 1))
    first, second = january_lines(contract)
    # Step 1: January's daily rollups add up to 900 + 600 = 1,500 calls; graduated tiers
    #         are judged on that period total.
    # Step 2: units 0 to 1,000 fill the first tier: 1,000 x 0.10 = 100.00.
    assert (first.quantity, first.unit_price, first.amount) == (
        Decimal(1000),
        Decimal("0.10"),
        Decimal("100.00"),
    )
    assert first.description.endswith("— api-calls, tier 0 to 1,000")
    assert first.explanation["tier"]["tier_from"] == "0"
    assert first.explanation["tier"]["tier_to"] == "1000"
    # Step 3: units 1,001 and above take the other 500: 500 x 0.08 = 40.00.
    assert (second.quantity, second.unit_price, second.amount) == (
        Decimal(500),
        Decimal("0.08"),
        Decimal("40.00"),
    )
    assert second.description.endswith("— api-calls, tier 1,001 and above")
    assert (second.explanation["tier"]["tier_from"], second.explanation["tier"]["tier_to"]) == (
        "1001",
        None,
    )
    # Each line says why: the period total, the units in its tier, the charge, the rounding.
    assert [step[1] for step in second.explanation["steps"]] == [
        "1,500 units (tiers are judged on the period's total)",
        "units 1,001 to open: 500 of them",
        "500 × USD 0.08 = USD 40",
        "$40.00",
    ]
    # Step 4: the invoice is the sum of the tier lines, 140.00; the schedule line keeps the
    #         whole charge and quantity.
    invoice = first.invoice
    assert invoice.subtotal_amount == Decimal("140.00")
    schedule = BillingScheduleLine.objects.get(pk=first.schedule_line_id)
    assert (schedule.amount, schedule.quantity) == (Decimal("140.00"), Decimal(1500))
    assert second.explanation["schedule_line"] == schedule.pk


def test_a_volume_price_across_the_same_boundary_bills_one_line_at_the_tier_reached():
    contract = usage_contract(pricing_model="volume")
    ingest_usage(contract, ((1, 5), 900), ((1, 20), 600))
    run_billing(date(2026, 2, 1))
    (line,) = january_lines(contract)
    # Step 1: the same 1,500 calls in January.
    # Step 2: 1,500 falls in the tier 1,001 and above, so every unit is priced at 0.08.
    # Step 3: 1,500 x 0.08 = 120.00: 20.00 less than graduated, which charged the first
    #         1,000 at 0.10.
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal(1500),
        Decimal("0.08"),
        Decimal("120.00"),
    )
    assert line.description.endswith("— api-calls, volume tier 1,001 and above (all units)")
    assert [step[1] for step in line.explanation["steps"]] == [
        "1,500 units (tiers are judged on the period's total)",
        "1,500 falls in the tier 1,001 and above: every unit at its rate",
        "1,500 × USD 0.08 = USD 120",
        "$120.00",
    ]


def test_below_the_boundary_graduated_and_volume_agree_on_one_line():
    graduated = usage_contract(pricing_model="graduated")
    volume = usage_contract(pricing_model="volume", metric="tokens")
    ingest_usage(graduated, ((1, 5), 800))
    ingest_usage(volume, ((1, 5), 800), metric="tokens")
    run_billing(date(2026, 2, 1))
    # 800 calls stay in the first tier: 800 x 0.10 = 80.00 either way, on one line.
    assert [(x.quantity, x.amount) for x in january_lines(graduated)] == [
        (Decimal(800), Decimal("80.00"))
    ]
    assert [(x.quantity, x.amount) for x in january_lines(volume)] == [
        (Decimal(800), Decimal("80.00"))
    ]


def test_a_package_price_bills_one_line_naming_the_packages():
    contract = usage_contract(metric="storage")
    set_usage_price(
        contract_line=contract.lines.get(),
        terms=PriceTerms(
            metric="api-calls",
            pricing_model="package",
            starts_on=contract.start_date,
            unit_price=Decimal("25.00"),
            package_size=Decimal(1000),
        ),
        actor=None,
    )
    ingest_usage(contract, ((1, 5), 2100))
    run_billing(date(2026, 2, 1))
    (line,) = january_lines(contract)
    # 2,100 calls in packages of 1,000: 3 packages (a started one counts) x 25.00 = 75.00.
    assert (line.quantity, line.unit_price, line.amount) == (
        Decimal(3),
        Decimal("25.00"),
        Decimal("75.00"),
    )
    assert "3 package(s) of 1000 units" in line.description
