"""Step 4: allocating the transaction price by relative SSP (research 2.1 and 1.4)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.revenue import services as revenue
from billing.revenue.models import RevenueAllocation, RevenueException, SspRange
from core.errors import DomainValidationError
from ordermgmt.models import RevenueType

from .helpers import D, activated, allocated, line, lines_of, obligations, product

pytestmark = pytest.mark.django_db


def bundle(ssps, prices, currency="USD", **kwargs):
    made = [product(s, currency=currency) for s in ssps]
    return activated(
        [line(p, price) for p, price in zip(made, prices)], currency=currency, **kwargs
    )


def test_example_33_allocates_by_relative_ssp_in_whole_units():
    # ASC 606 Example 33 [RR-ALLOC-001]: SSPs 50 / 25 / 75, price 100 -> 33 / 17 / 50.
    contract = bundle(["50", "25", "75"], ["100", "0", "0"], currency="JPY")
    assert allocated(contract) == [D(33), D(17), D(50)]


def test_example_33_in_cents_adds_back_exactly():
    contract = bundle(["50", "25", "75"], ["100", "0", "0"])
    assert allocated(contract) == [D("33.33"), D("16.67"), D("50.00")]
    assert sum(allocated(contract)) == D("100.00")


def test_example_34_spreads_the_discount_proportionally_by_default():
    # [RR-ALLOC-003]: SSPs 40 / 55 / 45, price 100 -> 28.57 / 39.29 / 32.14.
    contract = bundle(["40", "55", "45"], ["40", "33", "27"])
    assert allocated(contract) == [D("28.57"), D("39.29"), D("32.14")]
    allocation = RevenueAllocation.objects.get(contract=contract)
    assert (allocation.method, allocation.transaction_price) == ("relative_ssp", D("100"))


def test_example_34_discount_exception_puts_the_discount_on_the_named_lines():
    # [RR-ALLOC-002]: B and C are regularly sold together for 60 -> 40 / 33 / 27.
    contract = bundle(
        ["40", "55", "45"],
        ["40", "33", "27"],
        settings=lambda c: {"discount_exception": True, "discount_lines": lines_of(c)[1:]},
    )
    assert allocated(contract) == [D("40.00"), D("33.00"), D("27.00")]
    assert RevenueAllocation.objects.get(contract=contract).method == "discount_exception"


def test_kpmg_discount_over_ssps_20_30_40_gives_18_27_35():
    # KPMG Handbook 4.2 Example 5 [RR-ALLOC-005]: a 10 discount on 90 of SSPs.
    contract = bundle(["20", "30", "40"], ["80", "0", "0"], currency="JPY")
    assert allocated(contract) == [D(18), D(27), D(35)]


def residual_contract(price_d: str):
    a, b, c = (product(s) for s in ("40", "55", "45"))
    d = product(None, name="Product D")
    SspRange.objects.create(product=d, currency="USD", minimum=D(15), maximum=D(45))
    return activated(
        [line(a, "40"), line(b, "33"), line(c, "27"), line(d, price_d)],
        settings=lambda contract: {
            "discount_exception": True,
            "discount_lines": lines_of(contract)[1:3],
        },
    )


def test_residual_approach_gives_the_uncertain_obligation_what_is_left():
    # Example 34 Case B [RR-ALLOC-004]: price 130; A 40, B+C 60, residual D 30 in 15-45.
    contract = residual_contract("30")
    assert allocated(contract) == [D("40.00"), D("33.00"), D("27.00"), D("30.00")]
    d = obligations(contract)[3]
    assert d.residual_ssp and d.ssp_amount == D("30.00")
    assert RevenueAllocation.objects.get(contract=contract).method == "residual"


def test_residual_outside_the_observed_range_is_refused_with_a_clear_error():
    # Example 34 Case C: price 105 leaves 5 for D, outside 15-45.
    contract = residual_contract("5")
    assert obligations(contract) == []  # activation went ahead, revenue did not
    exception = RevenueException.objects.get(contract=contract)
    assert (exception.field, exception.code) == ("ssp", "residual_outside_range")
    with pytest.raises(DomainValidationError) as err:
        revenue.recognise_contract_revenue(contract=contract, actor=None)
    assert (err.value.field, err.value.code) == ("ssp", "residual_outside_range")
    assert "Product D" in err.value.message and "$5.00" in err.value.message


def test_a_missing_ssp_names_the_product_and_the_currency():
    with_price = product("100")
    without = product(None, name="Onboarding workshop")
    contract = activated([line(with_price, "100"), line(without, "50")])
    assert contract.status == "active"
    with pytest.raises(DomainValidationError) as err:
        revenue.recognise_contract_revenue(contract=contract, actor=None)
    assert (err.value.field, err.value.code) == ("lines[1].product", "missing_ssp")
    assert without.sku in err.value.message and "USD" in err.value.message


def test_revenue_is_built_once_the_missing_ssp_is_added(finance):
    from tests.factories import ProductPriceFactory

    without = product(None)
    contract = activated([line(without, "50")])
    assert RevenueException.objects.filter(contract=contract, resolved_at=None).count() == 1
    ProductPriceFactory(product=without, currency="USD", standalone_selling_price=D(60))
    revenue.recognise_contract_revenue(contract=contract, actor=finance)
    assert allocated(contract) == [D("50.00")]
    assert not RevenueException.objects.filter(contract=contract, resolved_at=None).exists()


def test_variable_consideration_flagged_to_one_obligation_goes_to_it_alone():
    # [RR-VC-001] 606-10-32-40: a sales-based royalty belongs to the licence only.
    licence = product("60000", name="Licence")
    support = product("40000", revenue_type=RevenueType.SUBSCRIPTION, name="Support")
    contract = activated(
        [line(licence, "50000"), line(support, "30000")],
        settings=lambda c: {
            "variable_consideration_amount": D("5000"),
            "variable_consideration_method": "most_likely_amount",
            "variable_consideration_line": lines_of(c)[0],
        },
    )
    # Fixed 80,000 by SSP 60:40 = 48,000 / 32,000; the royalty estimate on the licence.
    assert allocated(contract) == [D("53000.00"), D("32000.00")]
    allocation = RevenueAllocation.objects.get(contract=contract)
    assert allocation.transaction_price == D("85000.00")
    assert allocation.variable_consideration == D("5000.00")


def test_non_distinct_implementation_is_combined_with_the_subscription():
    platform = product("100000", revenue_type=RevenueType.SUBSCRIPTION, name="Platform")
    setup = product(
        "20000", revenue_type=RevenueType.PROFESSIONAL_SERVICES, distinct=False, name="Setup"
    )
    contract = activated([line(platform, "90000"), line(setup, "10000")])
    (only,) = obligations(contract)
    assert only.pattern == "ratable"
    assert only.ssp_amount == D("120000.00") and only.allocated_amount == D("100000.00")
    assert only.lines.filter(combined=True).count() == 1
    assert (only.service_start, only.service_end) == (date(2026, 1, 1), date(2026, 12, 31))


def test_a_non_distinct_product_without_a_subscription_is_refused():
    alone = product("100", revenue_type=RevenueType.PROFESSIONAL_SERVICES, distinct=False)
    contract = activated([line(alone, "100")])
    with pytest.raises(DomainValidationError) as err:
        revenue.recognise_contract_revenue(contract=contract, actor=None)
    assert err.value.code == "nothing_to_combine_with"


def test_ssp_is_fixed_at_inception_and_not_re_read():
    from ordermgmt.models import ProductPrice

    made = product("100")
    contract = activated([line(made, "100")])
    ProductPrice.objects.filter(product=made).update(standalone_selling_price=Decimal("999"))
    (obligation,) = obligations(contract)
    assert obligation.ssp_amount == D("100.00")
    assert obligation.lines.get().ssp_unit_price == D("100")
