"""Step 5: revenue schedules with cumulative rounding (decision 9.1), ratable daily
actual/actual (leap years), by month evenly, point in time, ramps."""

from datetime import date
from decimal import Decimal

import pytest

from billing.revenue import services as revenue
from billing.revenue.models import Delivery, RevenueSchedule
from billing.revenue.selectors import contract_balance
from core.errors import DomainValidationError
from core.money import split
from ordermgmt.models import RevenueType
from ordermgmt.services import RampStepInput

from .helpers import (
    D,
    activated,
    allocated,
    bill_and_issue,
    line,
    monthly,
    obligations,
    product,
    schedule_lines,
)

pytestmark = pytest.mark.django_db
SUB = RevenueType.SUBSCRIPTION


def subscription(price, start, end, ssp=None, **kwargs):
    made = product(ssp or price, revenue_type=SUB)
    return activated([line(made, price)], start_date=start, end_date=end, **kwargs)


def test_a_leap_year_has_366_days_and_february_29_of_them():
    # [RR-RATABLE-002] 36,600 over 2024: 100 a day.
    contract = subscription("36600", date(2024, 1, 1), date(2024, 12, 31))
    months = monthly(obligations(contract)[0])
    assert months["2024-01"] == D("3100.00")
    assert months["2024-02"] == D("2900.00")
    assert sum(months.values()) == D("36600.00")


def test_daily_schedule_uses_cumulative_rounding_across_a_leap_year():
    # [RR-RATABLE-004] 10,000 over 2024: to date after month k = round(10,000 x days/366).
    contract = subscription("10000", date(2024, 1, 1), date(2024, 12, 31))
    (obligation,) = obligations(contract)
    rows = schedule_lines(obligation)
    assert [r.amount for r in rows[:2]] == [D("846.99"), D("792.35")]
    assert rows[-1].amount == D("846.99")  # 10,000 - round(10,000 x 335/366 = 9,153.0054)
    elapsed = 0
    for row in rows:
        elapsed += (row.period_end - row.period_start).days + 1
        exact = D(10000) * elapsed / 366
        assert row.cumulative_amount == exact.quantize(D("0.01"))
    assert len(rows) == 12 and sum(r.amount for r in rows) == D("10000.00")


def test_a_term_across_february_29_counts_it_inclusive_of_the_end_date():
    # [RR-RATABLE-003] 1 Jul 2023 - 30 Jun 2024 is 366 days, end date included.
    contract = subscription("12000", date(2023, 7, 1), date(2024, 6, 30))
    months = monthly(obligations(contract)[0])
    assert months["2024-02"] == (D(12000) * (31 + 31 + 30 + 31 + 30 + 31 + 31 + 29) / 366).quantize(
        D("0.01")
    ) - (D(12000) * (31 + 31 + 30 + 31 + 30 + 31 + 31) / 366).quantize(D("0.01"))
    assert months["2024-02"] == D("950.82")
    assert sum(months.values()) == D("12000.00")


def test_a_mid_month_start_prorates_the_first_and_last_months_by_days():
    # [RR-RATABLE-005] 15 Jan 2025 - 14 Jan 2026 (365 days).
    contract = subscription("3650", date(2025, 1, 15), date(2026, 1, 14))
    months = monthly(obligations(contract)[0])
    assert months["2025-01"] == D("170.00")  # 17 days x 10
    assert months["2026-01"] == D("140.00")  # 14 days x 10
    assert sum(months.values()) == D("3650.00")


def test_by_month_evenly_is_a_per_contract_setting():
    contract = subscription(
        "12000",
        date(2024, 1, 1),
        date(2024, 12, 31),
        settings=lambda c: {"ratable_method": "monthly_even"},
    )
    months = monthly(obligations(contract)[0])
    assert set(months.values()) == {D("1000.00")}


def saas_bundle(**kwargs):
    """[RR-ALLOC-SAAS-001] Subscription + implementation + support, SSPs 72,000 / 20,000 /
    20,000, sold for 90,000: the 22,000 discount is spread by SSP."""
    subscription_ = product("72000", revenue_type=SUB, name="Platform subscription")
    implementation = product(
        "20000", revenue_type=RevenueType.PROFESSIONAL_SERVICES, name="Implementation"
    )
    support = product("20000", revenue_type=SUB, name="Premium support")
    return activated(
        [line(subscription_, "60000"), line(implementation, "15000"), line(support, "15000")],
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        **kwargs,
    )


def test_saas_bundle_allocation_and_cumulative_rounding_december():
    contract = saas_bundle(settings=lambda c: {"ratable_method": "monthly_even"})
    assert allocated(contract) == [D("57857.14"), D("16071.43"), D("16071.43")]
    subscription_, implementation, support = obligations(contract)
    assert implementation.pattern == "point_in_time"
    support_months = monthly(support)
    # Cumulative rounding: every month 1,339.28 or 1,339.29, December 1,339.29 ...
    assert support_months["2026-12"] == D("1339.29")
    assert max(support_months.values()) - min(support_months.values()) <= D("0.01")
    # ... where the last-part rule (research 1.4, "known weakness") would end on 1,339.24.
    assert split(D("16071.43"), [1] * 12, "USD")[-1] == D("1339.24")
    assert sum(monthly(subscription_).values()) == D("57857.14")


def test_saas_bundle_implementation_is_recognised_on_go_live_and_balances_net(finance):
    contract = saas_bundle(settings=lambda c: {"ratable_method": "monthly_even"})
    bill_and_issue(date(2026, 1, 1))  # the year's subscription, support and implementation
    _, implementation, _ = obligations(contract)
    assert schedule_lines(implementation) == []
    revenue.record_delivery(
        obligation=implementation,
        delivered_on=date(2026, 3, 20),
        kind="acceptance",
        reference="GO-LIVE-1",
        actor=finance,
    )
    assert monthly(implementation) == {"2026-03": D("16071.43")}
    balance = contract_balance(contract, date(2026, 3, 31))
    # Billed 90,000; recognised 3 months of 57,857.14 and 16,071.43 + implementation.
    recognised = D("14464.29") + D("4017.86") + D("16071.43")
    assert (balance.billed, balance.recognised) == (D("90000.00"), recognised)
    assert balance.deferred_revenue == D("90000.00") - recognised
    assert balance.unbilled == 0
    assert RevenueSchedule.objects.filter(obligation=implementation).count() == 2


def ramp(policy=None):
    made = product("120000", revenue_type=SUB, name="Platform (ramp)")
    steps = [
        RampStepInput(date(2025, 1, 1), date(2025, 12, 31), D(1), D(100000)),
        RampStepInput(date(2026, 1, 1), date(2026, 12, 31), D(1), D(120000)),
        RampStepInput(date(2027, 1, 1), date(2027, 12, 31), D(1), D(140000)),
    ]
    return activated(
        [line(made, "120000", ramp_steps=steps)],
        start_date=date(2025, 1, 1),
        end_date=date(2027, 12, 31),
        settings=(lambda c: {"ramp_policy": policy}) if policy else None,
    )


def yearly(obligation):
    years = {}
    for month, amount in monthly(obligation).items():
        years[month[:4]] = years.get(month[:4], D(0)) + amount
    return years


def test_ramp_is_straight_line_by_default_with_an_unbilled_asset_at_year_end():
    # [RR-RAMP-001] 100k / 120k / 140k: 120k a year; 20k unbilled before each invoice.
    contract = ramp()
    (obligation,) = obligations(contract)
    assert yearly(obligation) == {
        "2025": D("120000.00"),
        "2026": D("120000.00"),
        "2027": D("120000.00"),
    }
    bill_and_issue(date(2025, 1, 1))
    at_year_end = contract_balance(contract, date(2025, 12, 31))
    assert (at_year_end.billed, at_year_end.recognised) == (D("100000.00"), D("120000.00"))
    assert at_year_end.unbilled == D("20000.00") and at_year_end.deferred_revenue == 0
    bill_and_issue(date(2026, 1, 1))
    assert contract_balance(contract, date(2026, 1, 1)).deferred_revenue == D("100000.00")
    assert contract_balance(contract, date(2026, 12, 31)).unbilled == D("20000.00")


def test_ramp_as_invoiced_follows_the_steps_and_builds_no_asset():
    contract = ramp("as_invoiced")
    (obligation,) = obligations(contract)
    assert yearly(obligation) == {
        "2025": D("100000.00"),
        "2026": D("120000.00"),
        "2027": D("140000.00"),
    }
    bill_and_issue(date(2025, 1, 1))
    at_year_end = contract_balance(contract, date(2025, 12, 31))
    assert at_year_end.net_position == 0


def workshop_contract():
    workshops = product("1000", revenue_type=RevenueType.PROFESSIONAL_SERVICES, name="Workshop")
    return activated([line(workshops, "1000", quantity="3")])


def test_point_in_time_recognises_each_delivered_share_with_cumulative_rounding(finance):
    contract = workshop_contract()
    (obligation,) = obligations(contract)
    for day, ref in [
        (date(2026, 2, 3), "W-1"),
        (date(2026, 3, 4), "W-2"),
        (date(2026, 3, 5), "W-3"),
    ]:
        revenue.record_delivery(
            obligation=obligation, delivered_on=day, quantity=D(1), reference=ref, actor=finance
        )
    rows = schedule_lines(obligation)
    assert [(r.recognition_date, r.amount) for r in rows] == [
        (date(2026, 2, 3), D("1000.00")),
        (date(2026, 3, 4), D("1000.00")),
        (date(2026, 3, 5), D("1000.00")),
    ]
    assert RevenueSchedule.objects.filter(obligation=obligation).count() == 4


def test_a_delivery_reported_twice_is_recorded_once_and_over_delivery_is_refused(finance):
    contract = workshop_contract()
    (obligation,) = obligations(contract)
    first = revenue.record_delivery(
        obligation=obligation,
        delivered_on=date(2026, 2, 3),
        reference="W-1",
        actor=finance,
        quantity=D(2),
    )
    again = revenue.record_delivery(
        obligation=obligation,
        delivered_on=date(2026, 2, 3),
        reference="W-1",
        actor=finance,
        quantity=D(2),
    )
    assert first.pk == again.pk and Delivery.objects.count() == 1
    with pytest.raises(DomainValidationError) as err:
        revenue.record_delivery(
            obligation=obligation,
            delivered_on=date(2026, 2, 4),
            reference="W-2",
            actor=finance,
            quantity=D(2),
        )
    assert (err.value.field, err.value.code) == ("quantity", "exceeds_quantity")


def test_a_ratable_obligation_refuses_a_delivery(finance):
    contract = subscription("1200", date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(DomainValidationError) as err:
        revenue.record_delivery(
            obligation=obligations(contract)[0],
            delivered_on=date(2026, 2, 1),
            reference="X",
            actor=finance,
        )
    assert err.value.code == "not_point_in_time"


def test_usage_is_an_obligation_recognised_as_invoiced_outside_the_allocation():
    seats = product("1200", revenue_type=SUB)
    calls = product(None, revenue_type=RevenueType.USAGE)
    contract = activated(
        [line(seats, "1200"), line(calls, "0.10", quantity="0")], billing_frequency="monthly"
    )
    usage = [o for o in obligations(contract) if o.pattern == "usage"]
    assert len(usage) == 1 and allocated(contract) == [D("1200.00")]
    assert not RevenueSchedule.objects.filter(obligation=usage[0]).exists()
    assert Decimal(0) == usage[0].allocated_amount
