"""Billing schedules made on activation; each case says how its figures come about."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.models import BillingScheduleLine
from billing.services import contract_value
from ordermgmt import services
from ordermgmt.models import ContractKind, RevenueType
from tests.factories import ProductFactory, active_contract, billable_account, line_input

pytestmark = pytest.mark.django_db


def schedule(contract):
    return list(
        BillingScheduleLine.objects.filter(contract=contract).order_by("billing_date", "id")
    )


def amounts(contract):
    return [line.amount for line in schedule(contract)]


def test_annual_in_advance_bills_the_year_on_the_start_date():
    # 12 seats x 1,200.00 less 10% = 12,960.00 a year, one period.
    contract = active_contract(lines=[line_input(quantity=Decimal(12), discount_percent=10)])
    (line,) = schedule(contract)
    assert (line.billing_date, line.period_start, line.period_end) == (
        date(2026, 1, 1),
        date(2026, 1, 1),
        date(2026, 12, 31),
    )
    assert line.amount == Decimal("12960.00")
    assert (
        "12 × $1,200.00 × (1 − 10%) = $12,960.00 a year × 12/12 year" in line.explanation["formula"]
    )


def test_monthly_billing_splits_the_year_into_twelve_equal_periods():
    contract = active_contract(billing_frequency="monthly", lines=[line_input(quantity=Decimal(7))])
    # 7 x 1,200 = 8,400 a year = 700.00 a month, billed on the 1st of each month.
    assert amounts(contract) == [Decimal("700.00")] * 12
    assert [line.billing_date.month for line in schedule(contract)] == list(range(1, 13))


def test_a_billing_day_makes_prorated_first_and_last_periods():
    # Start 15 Jan, bill on the 1st: 15-31 Jan is 17/31 of January's period, and the
    # term ends 14 Jan 2027, 14/31 of that January. 12,000/yr = 1,000/month.
    contract = active_contract(
        billing_frequency="monthly",
        billing_anchor_day=1,
        start_date=date(2026, 1, 15),
        end_date=date(2027, 1, 14),
        lines=[line_input(quantity=Decimal(10))],
    )
    lines = schedule(contract)
    assert len(lines) == 13
    first, last = lines[0], lines[-1]
    assert (first.period_start, first.period_end) == (date(2026, 1, 15), date(2026, 1, 31))
    assert first.amount == Decimal("548.39")  # 1,000 x 17/31 = 548.387
    assert first.explanation["day_count"] == "actual/actual: 17/31 days"
    assert (last.period_start, last.period_end) == (date(2027, 1, 1), date(2027, 1, 14))
    assert last.amount == Decimal("451.61")  # 1,000 x 14/31 = 451.613
    assert sum(amounts(contract)) == Decimal("12000.00")


def test_thirty_360_is_a_contract_setting_named_on_the_line():
    contract = active_contract(
        billing_frequency="monthly",
        billing_anchor_day=1,
        day_count_convention="30_360",
        start_date=date(2026, 1, 15),
        end_date=date(2026, 12, 31),
        lines=[line_input(quantity=Decimal(10))],
    )
    first = schedule(contract)[0]
    # 30/360: 15 Jan to 1 Feb counts 16 of 30 days -> 1,000 x 16/30 = 533.33
    assert first.amount == Decimal("533.33")
    assert first.explanation["day_count"] == "30/360: 16/30 days"
    assert first.day_count_convention == "30_360"


def test_quarterly_term_with_a_short_last_quarter_prorates_it():
    contract = active_contract(
        billing_frequency="quarterly",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 11, 30),
        lines=[line_input(quantity=Decimal(12), unit_price=Decimal(1000))],
    )
    # 12,000/yr = 3,000 a quarter; Oct-Nov is 61 of the 92 days of Oct-Dec.
    assert amounts(contract) == [
        Decimal("3000.00"),
        Decimal("3000.00"),
        Decimal("3000.00"),
        Decimal("1989.13"),
    ]


def test_arrears_bills_the_day_after_each_period_ends():
    contract = active_contract(billing_frequency="quarterly", billing_timing="arrears")
    assert [line.billing_date for line in schedule(contract)] == [
        date(2026, 4, 1),
        date(2026, 7, 1),
        date(2026, 10, 1),
        date(2027, 1, 1),
    ]


def test_ramp_steps_bill_each_year_at_its_own_quantity():
    product = ProductFactory()
    steps = [
        services.RampStepInput(date(2026, 1, 1), date(2026, 12, 31), Decimal(10), Decimal(1000)),
        services.RampStepInput(date(2027, 1, 1), date(2027, 12, 31), Decimal(20), Decimal(1000)),
        services.RampStepInput(date(2028, 1, 1), date(2028, 12, 31), Decimal(30), Decimal(950)),
    ]
    contract = active_contract(
        end_date=date(2028, 12, 31), lines=[line_input(product, ramp_steps=steps)]
    )
    assert amounts(contract) == [Decimal("10000.00"), Decimal("20000.00"), Decimal("28500.00")]
    assert all(line.ramp_step_id for line in schedule(contract))
    assert contract_value(contract) == Decimal("58500.00")


def test_one_time_fees_bill_at_the_start_even_when_billing_monthly():
    onboarding = ProductFactory(revenue_type=RevenueType.ONE_TIME)
    contract = active_contract(
        billing_frequency="monthly",
        lines=[
            line_input(),
            line_input(onboarding, quantity=Decimal(1), unit_price=Decimal("2500")),
        ],
    )
    fees = [line for line in schedule(contract) if line.kind == "one_time"]
    assert [(f.billing_date, f.amount) for f in fees] == [(date(2026, 1, 1), Decimal("2500.00"))]


def test_usage_lines_wait_in_arrears_without_an_amount():
    api_calls = ProductFactory(revenue_type=RevenueType.USAGE)
    contract = active_contract(
        billing_frequency="quarterly",
        lines=[line_input(api_calls, quantity=Decimal(0), unit_price=Decimal("0.40"))],
    )
    lines = schedule(contract)
    assert [line.billing_date for line in lines][:2] == [date(2026, 4, 1), date(2026, 7, 1)]
    assert all(line.amount is None and line.kind == "usage" for line in lines)


def test_custom_installments_follow_the_plan_and_add_back():
    contract = active_contract(
        billing_frequency="custom",
        custom_billing_plan=[
            {"billing_date": "2026-01-01", "percent": "50"},
            {"billing_date": "2026-06-01", "percent": "30"},
            {"billing_date": "2026-12-01", "percent": "20"},
        ],
        lines=[line_input(quantity=Decimal(1), unit_price=Decimal("1000.01"))],
    )
    # 50% of 1,000.01 = 500.005 -> 500.01; 30% = 300.003 -> 300.00; last takes 200.00.
    assert amounts(contract) == [Decimal("500.01"), Decimal("300.00"), Decimal("200.00")]


def test_a_mid_term_amendment_is_co_termed_and_prorated_to_the_period_end(specialist):
    product = ProductFactory()
    original = active_contract(lines=[line_input(product, quantity=Decimal(10))])
    amendment = services.create_contract(
        account=original.account,
        terms=services.ContractTerms(
            name="10 more seats",
            start_date=date(2026, 7, 1),
            end_date=date(2026, 12, 31),
            currency="USD",
            billing_frequency="annual",
        ),
        lines=[line_input(product, quantity=Decimal(10))],
        actor=specialist,
        kind=ContractKind.AMENDMENT,
        original_contract=original,
    )
    services.submit_contract(contract=amendment, actor=specialist)
    amendment.refresh_from_db()
    if amendment.status == "pending_review":
        services.approve_contract(contract=amendment, actor=None, comment="ok")
    services.activate_contract(contract=amendment, actor=specialist)
    (line,) = schedule(amendment)
    # 10 x 1,200 = 12,000 a year x 184/365 days left in the original's year = 6,049.32
    assert (line.period_start, line.period_end) == (date(2026, 7, 1), date(2026, 12, 31))
    assert line.amount == Decimal("6049.32")
    assert line.explanation["day_count"] == "actual/actual: 184/365 days"


@settings(max_examples=25, deadline=None)
@given(
    frequency=st.sampled_from(["monthly", "quarterly", "annual", "upfront"]),
    convention=st.sampled_from(["actual_actual", "30_360"]),
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    days=st.integers(min_value=1, max_value=1200),
    anchor=st.one_of(st.none(), st.integers(min_value=1, max_value=28)),
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2),
    currency=st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_the_schedule_of_a_contract_adds_back_exactly_to_its_value(
    frequency, convention, start, days, anchor, price, currency
):
    from datetime import timedelta

    from billing.schedules.builder import build_schedule
    from core.money import round_money
    from ordermgmt.models import Contract, ContractLine

    account = billable_account(default_currency=currency)
    contract = Contract(
        account=account,
        name="p",
        start_date=start,
        end_date=start + timedelta(days=days),
        currency=currency,
        billing_frequency=frequency,
        day_count_convention=convention,
        billing_anchor_day=anchor,
    )
    contract.save()
    ContractLine.objects.create(
        contract=contract,
        product=ProductFactory(),
        quantity=Decimal(3),
        unit_price=price,
        discount_percent=Decimal("12.5"),
    )
    drafts = build_schedule(contract)
    line_total = Decimal(drafts[0].explanation["line_total"])
    assert sum(d.amount for d in drafts) == line_total
    assert all(d.amount >= 0 and d.amount == round_money(d.amount, currency) for d in drafts)
    # Contiguous periods covering the whole term, nothing billed twice.
    assert drafts[0].period_start == contract.start_date
    assert drafts[-1].period_end == contract.end_date
    for previous, current in zip(drafts, drafts[1:], strict=False):
        assert current.period_start == previous.period_end + timedelta(days=1)
