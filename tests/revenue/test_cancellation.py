"""Cancelling an active contract ends its service that day: billing stops and revenue
stops (ASC 606: a termination removes what is not yet transferred).

Worked example: 12,000.00 a year, 1 Jan – 31 Dec 2026, billed annually in advance on
1 Jan (one invoice of 12,000.00), recognised daily (365 days). Cancelled on 31 Mar 2026
(90 days of service):

- recognised to date = round(12,000 × 90 / 365) = round(2,958.904...) = 2,958.90;
  January 1,019.18 and February 920.55 stay as they were (cumulative rounding: 1,019.18
  and 1,939.73), March is 2,958.90 − 1,939.73 = 1,019.17; nothing after March.
- the schedule's new version (v2) totals 2,958.90; v1 (12,000.00) stays, superseded.
- billed 12,000.00 − recognised 2,958.90 = 9,041.10 contract liability at year end,
  until a credit note gives it back.
"""

from datetime import date

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine
from billing.revenue import services as revenue
from billing.revenue.models import RevenueSchedule
from billing.revenue.selectors import contract_balance
from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.models import RevenueType

from .helpers import D, activated, bill_and_issue, line, monthly, obligations, product

pytestmark = pytest.mark.django_db


def annual_subscription(**terms):
    made = product("12000", revenue_type=RevenueType.SUBSCRIPTION)
    return activated(
        [line(made, "12000")], start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), **terms
    )


def test_cancelling_ends_revenue_on_the_day_and_keeps_the_earlier_version():
    contract = annual_subscription()
    bill_and_issue(date(2026, 1, 1))
    with freeze_time("2026-03-31 12:00"):
        services.cancel_contract(contract=contract, actor=None, comment="Customer went bust")
    (obligation,) = obligations(contract)
    months = monthly(obligation)
    assert months == {
        "2026-01": D("1019.18"),
        "2026-02": D("920.55"),
        "2026-03": D("1019.17"),
    }
    versions = list(RevenueSchedule.objects.filter(obligation=obligation).order_by("version"))
    assert [(v.version, v.is_current, v.total_amount) for v in versions] == [
        (1, False, D("12000.00")),
        (2, True, D("2958.90")),
    ]
    balance = contract_balance(contract, date(2026, 12, 31))
    assert (balance.billed, balance.recognised) == (D("12000.00"), D("2958.90"))
    assert balance.net_position == D("-9041.10")  # a contract liability


def test_cancelling_stops_billing_of_every_line_not_yet_billed():
    contract = annual_subscription(billing_frequency="monthly")
    bill_and_issue(date(2026, 1, 1))
    with freeze_time("2026-02-15 12:00"):
        services.cancel_contract(contract=contract, actor=None, comment="Lost")
    statuses = list(
        BillingScheduleLine.objects.filter(contract=contract)
        .order_by("billing_date")
        .values_list("status", flat=True)
    )
    assert statuses[0] == "billed" and set(statuses[1:]) == {"cancelled"}
    assert bill_and_issue(date(2026, 3, 1)) == []  # nothing more is billed


def test_a_point_in_time_obligation_of_a_cancelled_contract_takes_no_more_deliveries():
    made = product("5000", revenue_type=RevenueType.PROFESSIONAL_SERVICES)
    contract = activated(
        [line(made, "5000")], start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    with freeze_time("2026-03-31 12:00"):
        services.cancel_contract(contract=contract, actor=None, comment="Stopped")
    (obligation,) = obligations(contract)
    with pytest.raises(DomainValidationError) as err:
        revenue.record_delivery(
            obligation=obligation, delivered_on=date(2026, 4, 2), reference="WS-1", actor=None
        )
    assert err.value.code == "contract_cancelled"
