"""Each deal desk rule flags with its reason and figures, and stays quiet inside policy."""

from datetime import date
from decimal import Decimal

import pytest

from ordermgmt import services
from ordermgmt.dealdesk.defaults import DEFAULT_RULES
from ordermgmt.dealdesk.rules import EVALUATORS, days_to_due
from ordermgmt.dealdesk.valuation import deal_facts, term_years
from ordermgmt.models import DealDeskRule, RevenueType, RuleType
from ordermgmt.services.dealdesk import evaluate_contract
from tests.factories import make_contract
from tests.ordermgmt.dealdesk_factories import (
    only_rules,
    priced_product,
    rule,
    standard_contract,
    standard_line,
)

pytestmark = pytest.mark.django_db


def flags_of(contract, rule_type):
    only_rules(rule_type)
    return evaluate_contract(contract)[1]


def reasons(contract, rule_type):
    return [f.reason for f in flags_of(contract, rule_type)]


def test_every_rule_type_has_an_evaluator_and_a_seeded_default_rule():
    assert set(EVALUATORS) == set(RuleType.values)
    assert {r["rule_type"] for r in DEFAULT_RULES} == set(RuleType.values)
    assert DealDeskRule.objects.filter(active=True).count() == len(DEFAULT_RULES)


def test_a_standard_contract_raises_no_flag_under_the_default_rules():
    assert evaluate_contract(standard_contract())[1] == []


@pytest.mark.parametrize("code", ["NET30", "NET45", "EOM", "DUE", "NET15EOM"])
def test_payment_terms_within_net_45_do_not_flag(code):
    assert reasons(standard_contract(payment_terms=code), RuleType.PAYMENT_TERMS) == []


def test_net_90_flags_with_the_policy_and_the_dso_consequence():
    (flag,) = flags_of(standard_contract(payment_terms="NET90"), RuleType.PAYMENT_TERMS)
    assert flag.reason == "Net 90 exceeds the Net 45 policy"
    assert flag.consequence.startswith("Net 90: DSO rises")
    assert flag.figures["days_to_due"] == "90"


def test_end_of_month_terms_are_measured_by_their_longest_wait():
    assert days_to_due("NET30EOM") == 60  # invoice on 1 March, due 30 April
    assert days_to_due("EOM") == 30
    assert reasons(standard_contract(payment_terms="NET30EOM"), RuleType.PAYMENT_TERMS) == [
        "Net 30 EOM (up to 60 days to due) exceeds the Net 45 policy"
    ]


def test_a_line_discount_above_20_percent_names_the_line_and_the_figures():
    seats = priced_product(sku="PLAT-SEAT")
    contract = standard_contract(
        lines=[standard_line(), standard_line(seats, discount_percent=Decimal("35"))]
    )
    (flag,) = flags_of(contract, RuleType.LINE_DISCOUNT)
    assert flag.reason == "Line 2 (PLAT-SEAT) discount 35% exceeds the 20% policy"
    # 10 x 1,200 x 35% below list over the one-year term
    assert flag.consequence.startswith("$4,200.00 below list over the term")
    assert flag.line_number == 2


def test_a_discount_of_exactly_20_percent_is_inside_policy():
    contract = standard_contract(lines=[standard_line(discount_percent=Decimal("20"))])
    assert reasons(contract, RuleType.LINE_DISCOUNT) == []


def test_a_unit_price_below_list_counts_as_a_discount_against_list():
    product = priced_product(sku="PLAT-ENT")
    contract = standard_contract(lines=[standard_line(product, unit_price=Decimal("900"))])
    assert reasons(contract, RuleType.LINE_DISCOUNT) == [
        "Line 1 (PLAT-ENT) discount 25% off the list price $1,200.00 (0% on the line) "
        "exceeds the 20% policy"
    ]


def test_a_total_discount_above_15_percent_flags_even_when_no_line_exceeds_20():
    lines = [standard_line(discount_percent=Decimal("18")) for _ in range(2)]
    assert reasons(standard_contract(lines=lines), RuleType.TOTAL_DISCOUNT) == [
        "Total discount 18% ($4,320.00 below the list value $24,000.00) exceeds the 15% policy"
    ]
    only_rules(RuleType.LINE_DISCOUNT)
    assert evaluate_contract(standard_contract(lines=lines))[1] == []


def ramp_line(product=None):
    return standard_line(
        product,
        ramp_steps=[
            services.RampStepInput(date(2026, 1, 1), date(2026, 6, 30), Decimal(10), Decimal(1200)),
            services.RampStepInput(
                date(2026, 7, 1), date(2026, 12, 31), Decimal(20), Decimal(1200)
            ),
        ],
    )


def test_a_ramp_flags_with_its_steps_and_the_revenue_consequence():
    product = priced_product(sku="PLAT-SEAT")
    (flag,) = flags_of(standard_contract(lines=[ramp_line(product)]), RuleType.RAMP)
    assert flag.reason == (
        "Line 1 (PLAT-SEAT) ramps over 2 steps: 10 → 20 units, $12,000.00 → $24,000.00 a year"
    )
    assert "revenue straight-line" in flag.consequence
    assert "unbilled asset" in flag.consequence


def test_a_contract_without_ramp_steps_is_not_a_ramp():
    assert reasons(standard_contract(), RuleType.RAMP) == []


def test_monthly_billing_is_outside_the_standard_frequencies():
    assert reasons(standard_contract(billing_frequency="monthly"), RuleType.BILLING_FREQUENCY) == [
        "Billing frequency Monthly is outside the standard (Annual, Quarterly)"
    ]
    assert reasons(standard_contract(billing_frequency="quarterly"), "billing_frequency") == []


def test_billing_in_arrears_flags_the_unbilled_receivable():
    (flag,) = flags_of(standard_contract(billing_timing="arrears"), RuleType.BILLING_ARREARS)
    assert flag.consequence == "billing in arrears: unbilled receivable until period end"
    assert reasons(standard_contract(billing_timing="advance"), RuleType.BILLING_ARREARS) == []


def test_a_term_longer_than_three_years_flags_with_the_years():
    contract = standard_contract(end_date=date(2030, 12, 31))
    assert reasons(contract, RuleType.TERM_LENGTH) == [
        "Term of 5 years (2026-01-01 – 2030-12-31) exceeds the 3-year policy"
    ]
    assert reasons(standard_contract(end_date=date(2028, 12, 31)), RuleType.TERM_LENGTH) == []


def test_a_currency_outside_the_standard_list_flags_and_the_list_is_editable():
    chf = standard_contract(currency="CHF", lines=[standard_line(priced_product(currency="CHF"))])
    assert reasons(chf, RuleType.CURRENCY) == [
        "Currency CHF is outside the standard list (USD, EUR, GBP, JPY)"
    ]
    eur = standard_contract(currency="EUR", lines=[standard_line(priced_product(currency="EUR"))])
    assert reasons(eur, RuleType.CURRENCY) == []
    DealDeskRule.objects.filter(rule_type=RuleType.CURRENCY).update(allowed_values="USD,CHF")
    assert reasons(eur, RuleType.CURRENCY) == [
        "Currency EUR is outside the standard list (USD, CHF)"
    ]
    assert reasons(chf, RuleType.CURRENCY) == []


def test_a_net_price_below_the_floor_flags_with_both_prices():
    product = priced_product(sku="PLAT-SEAT", floor_price="1000")
    below = standard_contract(lines=[standard_line(product, discount_percent=Decimal("25"))])
    (flag,) = flags_of(below, RuleType.PRICE_FLOOR)
    assert flag.reason == "Line 1 (PLAT-SEAT) net price $900.00 is below the $1,000.00 floor"
    assert flag.consequence.startswith("below floor: $1,000.00 under the floor price")
    at_floor = standard_contract(
        lines=[standard_line(product, unit_price=Decimal("1000"), discount_percent=Decimal("0"))]
    )
    assert reasons(at_floor, RuleType.PRICE_FLOOR) == []


def test_a_product_without_a_list_price_in_the_contract_currency_flags():
    eur_only = priced_product(sku="EU-ONLY", currency="EUR")
    contract = standard_contract(lines=[standard_line(eur_only)])
    assert reasons(contract, RuleType.PRICE_FLOOR) == ["Line 1 (EU-ONLY) has no list price in USD"]


def test_auto_renewal_and_termination_for_convenience_flag_when_present():
    assert reasons(standard_contract(auto_renew=True), RuleType.AUTO_RENEWAL) == [
        "Auto-renews at the end of the term (2026-12-31)"
    ]
    assert reasons(standard_contract(), RuleType.AUTO_RENEWAL) == []
    contract = standard_contract(termination_for_convenience=True)
    assert reasons(contract, RuleType.TERMINATION_FOR_CONVENIENCE) == [
        "The customer may terminate for convenience"
    ]
    assert reasons(standard_contract(), RuleType.TERMINATION_FOR_CONVENIENCE) == []


def test_a_contract_value_above_250k_usd_needs_two_approvers():
    big = standard_contract(lines=[standard_line(quantity=Decimal("250"))])  # 300,000
    (flag,) = flags_of(big, RuleType.CONTRACT_VALUE)
    assert flag.reason == (
        "TCV $300,000.00 exceeds the $250,000.00 threshold: 2 distinct approvers needed"
    )
    assert flag.required_approvals == 2
    at_limit = standard_contract(lines=[standard_line(quantity=Decimal("208"))])  # 249,600
    assert reasons(at_limit, RuleType.CONTRACT_VALUE) == []


def test_a_contract_value_in_another_currency_is_converted_at_the_rules_rate():
    product = priced_product(currency="EUR", list_price="1000")
    eur_240k = standard_contract(
        currency="EUR", lines=[standard_line(product, quantity=240, unit_price=Decimal(1000))]
    )
    assert reasons(eur_240k, RuleType.CONTRACT_VALUE) == [
        "TCV €240,000.00 (≈ $259,200.00) exceeds the $250,000.00 threshold: "
        "2 distinct approvers needed"
    ]
    eur_200k = standard_contract(
        currency="EUR", lines=[standard_line(product, quantity=200, unit_price=Decimal(1000))]
    )
    assert reasons(eur_200k, RuleType.CONTRACT_VALUE) == []


def test_a_currency_without_a_rate_gets_the_stricter_review():
    chf = standard_contract(currency="CHF", lines=[standard_line(priced_product(currency="CHF"))])
    (reason,) = reasons(chf, RuleType.CONTRACT_VALUE)
    assert "no CHF rate on the rule" in reason


def test_an_inactive_rule_does_not_flag():
    DealDeskRule.objects.filter(rule_type=RuleType.PAYMENT_TERMS).update(active=False)
    contract = standard_contract(payment_terms="NET90")
    assert [f.rule_type for f in evaluate_contract(contract)[1]] == []


def test_term_years_count_whole_months_then_days():
    assert term_years(date(2026, 1, 1), date(2026, 12, 31)) == 1
    assert term_years(date(2026, 1, 1), date(2026, 6, 30)) == Decimal("0.5")
    assert term_years(date(2026, 1, 1), date(2028, 12, 31)) == 3
    assert term_years(date(2026, 1, 15), date(2026, 2, 14)) == Decimal(1) / 12


def test_tcv_sums_ramp_steps_and_one_time_fees_and_leaves_out_usage():
    onboarding = priced_product(revenue_type=RevenueType.ONE_TIME, list_price="2500")
    usage = priced_product(revenue_type=RevenueType.USAGE, list_price="0.40")
    contract = make_contract(
        end_date=date(2027, 12, 31),
        lines=[
            ramp_line(priced_product()),
            standard_line(onboarding, quantity=Decimal(1), unit_price=Decimal("2500")),
            standard_line(usage, quantity=Decimal(1000), unit_price=Decimal("0.40")),
        ],
    )
    facts = deal_facts(contract)
    # ramp: 10 x 1,200 x 0.5 + 20 x 1,200 x 0.5 = 18,000; onboarding 2,500; usage none
    assert [line.value for line in facts.lines] == [Decimal(18000), Decimal(2500), Decimal(0)]
    assert facts.tcv == Decimal("20500")
    assert facts.term_years == 2
    assert facts.acv == Decimal("10250.00")


def test_the_seeded_policy_is_documented_by_its_rules():
    assert rule(RuleType.PAYMENT_TERMS).threshold == 45
    assert rule(RuleType.LINE_DISCOUNT).threshold == 20
    assert rule(RuleType.TERM_LENGTH).threshold == 3
    value = rule(RuleType.CONTRACT_VALUE)
    assert (value.threshold, value.threshold_currency, value.required_approvals) == (
        250000,
        "USD",
        2,
    )
