"""Day-count conventions, each worked on known periods. A period runs from its first day
to its last day inclusive; the 30-day conventions count to the day after the last day.

    actual/actual  calendar days / calendar days of the whole grid period
    30/360 (US)    360·ΔY + 30·ΔM + (D2 − D1), D1 31→30, D2 31→30 only if D1 ≥ 30
    30E/360        360·ΔY + 30·ΔM + (D2 − D1), D1 31→30 and D2 31→30 always
    actual/360     calendar days / 30 a month of the grid period (never above the whole)
"""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from billing.models import BillingScheduleLine
from billing.schedules.periods import billing_periods, day_count
from ordermgmt import roles
from ordermgmt.models import Contract, DayCountConvention
from tests.factories import UserFactory, active_contract, billable_account, line_input

AA, US, EU, A360 = "actual_actual", "30_360", "30e_360", "actual_360"


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # 31 Jan–28 Feb 2026: 1 + 28 calendar days = 29. 30-day: the 31st is the 30th, so
        # 30 Jan → 1 Mar = 30·2 + (1 − 30) = 31 in both 30/360 variants.
        (date(2026, 1, 31), date(2026, 2, 28), {AA: 29, US: 31, EU: 31, A360: 29}),
        # 30 Jan–31 Mar 2026: 2 + 28 + 31 = 61. 30-day: 30 Jan → 1 Apr = 30·3 + (1 − 30) = 61.
        (date(2026, 1, 30), date(2026, 3, 31), {AA: 61, US: 61, EU: 61, A360: 61}),
        # Leap February 2028, 15–29 Feb: 15 calendar days; 30-day: 15 Feb → 1 Mar = 30 − 14 = 16.
        (date(2028, 2, 15), date(2028, 2, 29), {AA: 15, US: 16, EU: 16, A360: 15}),
        # The whole leap February: 29 calendar days, a whole 30-day month.
        (date(2028, 2, 1), date(2028, 2, 29), {AA: 29, US: 30, EU: 30, A360: 29}),
        # 1–30 Mar 2026 ends on the 30th of a 31-day month, so it counts to 31 Mar. US keeps the
        # 31st (D1 = 1 < 30): 31 − 1 = 30; European moves it to the 30th: 30 − 1 = 29.
        (date(2026, 3, 1), date(2026, 3, 30), {AA: 30, US: 30, EU: 29, A360: 30}),
    ],
)
def test_each_convention_counts_the_worked_days_of_a_known_period(start, end, expected):
    assert {c: day_count(start, end, c) for c in expected} == expected


def test_an_unknown_convention_is_refused_rather_than_counted_as_actual_days():
    with pytest.raises(ValueError, match="30_365"):
        day_count(date(2026, 1, 1), date(2026, 1, 31), "30_365")


def test_partial_months_on_a_monthly_grid_are_prorated_and_named_per_convention():
    # Term 31 Jan–30 Mar 2026 on a grid of calendar months: a 1-day stub in January, a whole
    # February, and March short of its last day.
    def fractions(convention):
        periods = billing_periods(
            term_start=date(2026, 1, 31),
            term_end=date(2026, 3, 30),
            months=1,
            grid_start=date(2026, 1, 1),
            convention=convention,
        )
        return [(p.fraction, p.convention_label) for p in periods]

    assert fractions(EU) == [
        (Fraction(1, 30), "30E/360: 1/30 days"),
        (Fraction(1), "30E/360: 30/30 days"),
        (Fraction(29, 30), "30E/360: 29/30 days"),
    ]
    assert fractions(A360) == [
        (Fraction(1, 30), "actual/360: 1/30 days"),
        # 28 February days of 30: a whole month still bills the whole month.
        (Fraction(28, 30), "actual/360: 28/30 days"),
        (Fraction(1), "actual/360: 30/30 days"),
    ]
    assert [f for f, _ in fractions(US)] == [Fraction(1, 30), Fraction(1), Fraction(1)]
    assert [f for f, _ in fractions(AA)] == [Fraction(1, 31), Fraction(1), Fraction(30, 31)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("convention", "amount", "label"),
    [
        # 10 seats × 1,200.00 a year = 1,000.00 a month; March 2026 billed to the 30th.
        (EU, Decimal("966.67"), "30E/360: 29/30 days"),  # 1,000 × 29/30 = 966.666
        (A360, Decimal("1000.00"), "actual/360: 30/30 days"),  # 30 of 30: the whole month
        (US, Decimal("1000.00"), "30/360: 30/30 days"),
        (AA, Decimal("967.74"), "actual/actual: 30/31 days"),  # 1,000 × 30/31 = 967.741
    ],
)
def test_the_contracts_convention_prices_the_last_short_month_and_is_named_on_the_line(
    convention, amount, label
):
    contract = active_contract(
        billing_frequency="monthly",
        billing_anchor_day=1,
        day_count_convention=convention,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 30),
        lines=[line_input(quantity=Decimal(10))],
    )
    last = BillingScheduleLine.objects.filter(contract=contract).latest("period_start")
    assert (last.period_start, last.period_end) == (date(2026, 3, 1), date(2026, 3, 30))
    assert (last.amount, last.explanation["day_count"]) == (amount, label)
    assert last.day_count_convention == convention
    first = BillingScheduleLine.objects.filter(contract=contract).earliest("period_start")
    assert first.explanation["convention"] == label.split(":")[0]


def test_the_new_conventions_are_offered_wherever_a_contract_chooses_one():
    assert {"30e_360", "actual_360"} <= set(DayCountConvention.values)
    field = Contract._meta.get_field("day_count_convention")
    assert {"30e_360", "actual_360"} <= {value for value, _ in field.choices}


@pytest.mark.django_db
def test_a_contract_created_over_the_api_may_choose_30e_360(client):
    from tests.factories import ProductPriceFactory

    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    price = ProductPriceFactory()
    response = client.post(
        "/api/v1/contracts/",
        {
            "name": "EU deal",
            "account": billable_account().pk,
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "currency": "USD",
            "billing_frequency": "monthly",
            "day_count_convention": "30e_360",
            "lines": [
                {"product": price.product.pk, "quantity": "1", "unit_price": "1200"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Contract.objects.get(pk=response.json()["id"]).day_count_convention == "30e_360"
