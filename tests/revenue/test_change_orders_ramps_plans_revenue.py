"""ASC 606 after a change order on a ramped line or on a contract billed by a custom
installment plan: the modification is classified, and at the end of the term revenue
adds up to exactly what was invoiced and credited, each schedule to its total."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine
from billing.revenue.models import ChangeOrderRevenue, RevenueSchedule
from billing.revenue.selectors.balances import billed_by_contract, recognised_by_contract
from ordermgmt.models import RevenueType
from ordermgmt.services import ChangeOrderInput, RampStepInput, make_change_order
from tests.revenue.helpers import activated, bill_and_issue, line, product

pytestmark = pytest.mark.django_db
D = Decimal
PLAN = [{"billing_date": f"2026-{month:02d}-01", "percent": "25"} for month in (1, 4, 7, 10)]


def seats(ssp="1200"):
    return product(ssp, revenue_type=RevenueType.SUBSCRIPTION)


def change(contract, **values):
    values.setdefault("proration_behavior", "next_invoice")
    return make_change_order(contract=contract, change=ChangeOrderInput(**values), actor=None)


def assert_reconciled(contract, as_of: date) -> Decimal:
    billed, _usage = billed_by_contract(as_of)[contract.pk]
    assert recognised_by_contract(as_of)[contract.pk] == billed
    schedules = RevenueSchedule.objects.filter(
        obligation__accounting_contract=contract, is_current=True
    )
    for schedule in schedules:
        assert sum(row.amount for row in schedule.lines.all()) == schedule.total_amount
    scheduled = sum(
        row.amount
        for row in BillingScheduleLine.objects.filter(contract=contract).exclude(status="cancelled")
    )
    assert sum(s.total_amount for s in schedules) == scheduled == billed
    return billed


def ramp():
    return [
        RampStepInput(date(2026, 1, 1), date(2026, 6, 30), D(10), D(1200)),
        RampStepInput(date(2026, 7, 1), date(2026, 12, 31), D(20), D(1080)),
    ]


@pytest.mark.parametrize(
    ("kind", "values", "value"),
    [
        # 4 x 1,000.00 - 500.00 + 750.00 + 2 x 1,500.00 + 6 x 1,350.00 (see the API test).
        ("quantity", {"quantity": D(15)}, D("15350.00")),
        # 1,500.00 a seat from 16 April: 4 x 1,000.00 - 500.00 + 625.00 + 2 x 1,250.00
        # + 6 x 2,500.00 = 21,625.00.
        ("price", {"unit_price": D(1500)}, D("21625.00")),
    ],
)
def test_a_change_on_a_ramped_line_is_reconciled_at_the_end_of_the_term(kind, values, value):
    with freeze_time("2026-04-16 12:00"):
        contract = activated(
            [line(seats(), "1200", "10", ramp_steps=ramp())], billing_frequency="monthly"
        )
        bill_and_issue(date(2026, 4, 1))
        made = change(
            contract,
            kind=kind,
            line=contract.lines.get(),
            effective_date=date(2026, 4, 16),
            **values,
        )
    treatment = ChangeOrderRevenue.objects.get(change=made)
    assert treatment.treatment and treatment.reason
    with freeze_time("2026-12-31 12:00"):
        for month in range(5, 13):
            bill_and_issue(date(2026, month, 1))
    assert assert_reconciled(contract, date(2026, 12, 31)) == value


def test_a_change_on_a_custom_plan_is_reconciled_at_the_end_of_the_term():
    with freeze_time("2026-07-20 12:00"):
        contract = activated(
            [line(seats(), "1200", "10")], billing_frequency="custom", custom_billing_plan=PLAN
        )
        for month in (1, 4, 7):
            bill_and_issue(date(2026, month, 1))
        made = change(
            contract,
            kind="quantity",
            line=contract.lines.get(),
            quantity=D(15),
            effective_date=date(2026, 8, 1),
        )
    assert ChangeOrderRevenue.objects.get(change=made).reason
    with freeze_time("2026-12-31 12:00"):
        bill_and_issue(date(2026, 10, 1))
    # 9,000.00 billed, then 7,500.00 - 2,000.00 on 1 October (see the API test).
    assert assert_reconciled(contract, date(2026, 12, 31)) == D("14500.00")
