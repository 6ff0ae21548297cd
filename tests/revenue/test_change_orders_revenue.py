"""ASC 606 follows each change order: the treatment its facts call for, with the reason;
a new revenue schedule version; and revenue that, at the end of the term, adds up to
exactly what was invoiced and credited (the contract balance is zero)."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine
from billing.revenue.models import ChangeOrderRevenue, RevenueSchedule
from billing.revenue.selectors.balances import billed_by_contract, recognised_by_contract
from billing.revenue.services.change_orders import override_change_treatment
from core.errors import DomainValidationError
from ordermgmt.models import RevenueType
from ordermgmt.services import ChangeOrderInput, make_change_order
from tests.revenue.helpers import activated, bill_and_issue, line, obligations, product

pytestmark = pytest.mark.django_db

SEATS = RevenueType.SUBSCRIPTION


def seats(ssp="1200", distinct=True):
    return product(ssp, revenue_type=SEATS, distinct=distinct)


def change(contract, **values):
    values.setdefault("proration_behavior", "next_invoice")
    return make_change_order(contract=contract, change=ChangeOrderInput(**values), actor=None)


def assert_reconciled(contract, as_of: date) -> None:
    """Revenue recognised through the end equals what was invoiced less credits, and each
    current schedule adds up to its total."""
    billed, _usage = billed_by_contract(as_of)[contract.pk]
    assert recognised_by_contract(as_of)[contract.pk] == billed
    schedules = RevenueSchedule.objects.filter(
        obligation__accounting_contract=contract, is_current=True
    )
    for schedule in schedules:
        assert sum(line.amount for line in schedule.lines.all()) == schedule.total_amount
    scheduled = sum(
        row.amount
        for row in BillingScheduleLine.objects.filter(contract=contract).exclude(status="cancelled")
    )
    assert sum(s.total_amount for s in schedules) == scheduled == billed


def test_an_upgrade_at_ssp_is_a_separate_contract_and_stays_reconciled():
    with freeze_time("2026-11-16 12:00"):
        contract = activated([line(seats(), "1200", "10")], billing_frequency="monthly")
        bill_and_issue(date(2026, 11, 1))
        made = change(
            contract,
            kind="quantity",
            line=contract.lines.get(),
            quantity=Decimal("20"),
            effective_date=date(2026, 11, 16),
        )
    treatment = ChangeOrderRevenue.objects.get(change=made)
    # 10 more seats at 1,200.00, the product's SSP, distinct: a separate contract.
    assert treatment.treatment == "separate_contract" and "at its SSP 1200.00" in treatment.reason
    added = obligations(contract)[-1]
    # The added seats' obligation is worth what the change adds to billing: the November
    # debit less credit (1,000.00 - 500.00) and December's extra 10 seats (1,000.00).
    assert added.allocated_amount == Decimal("1500.00")
    with freeze_time("2026-12-31 12:00"):
        bill_and_issue(date(2026, 12, 1))
    assert_reconciled(contract, date(2026, 12, 31))


def test_a_seat_decrease_is_prospective_with_a_new_schedule_version():
    with freeze_time("2026-07-01 12:00"):
        contract = activated([line(seats(), "1200", "10")], end_date=date(2027, 12, 31))
        bill_and_issue(date(2026, 1, 1))
        made = change(
            contract,
            kind="quantity",
            line=contract.lines.get(),
            quantity=Decimal("6"),
            effective_date=date(2026, 7, 1),
        )
    treatment = ChangeOrderRevenue.objects.get(change=made)
    assert treatment.treatment == "prospective" and "series" in treatment.reason
    [obligation] = obligations(contract)
    versions = RevenueSchedule.objects.filter(obligation=obligation).order_by("version")
    assert [v.version for v in versions] == [1, 2] and versions[1].is_current
    # The transaction price falls by what billing no longer bills: 4,800.00 less for
    # 2027 (4 seats x 1,200.00) and 2,419.73 credited net for July-December 2026.
    assert versions[1].total_amount == versions[0].total_amount - Decimal("4800.00") - Decimal(
        "2419.73"
    )
    with freeze_time("2027-12-31 12:00"):
        bill_and_issue(date(2027, 1, 1))
    assert_reconciled(contract, date(2027, 12, 31))


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("price", {"unit_price": Decimal("1080")}),
        ("swap", {"unit_price": Decimal("1800")}),
    ],
)
def test_each_line_change_is_reconciled_at_the_end_of_the_term(kind, values):
    with freeze_time("2026-06-10 12:00"):
        contract = activated([line(seats(), "1200", "10")], billing_frequency="monthly")
        bill_and_issue(date(2026, 6, 1))
        if kind == "swap":
            values["product"] = seats("1800")
        made = change(
            contract,
            kind=kind,
            line=contract.lines.get(),
            effective_date=date(2026, 6, 10),
            **values,
        )
    assert ChangeOrderRevenue.objects.get(change=made).treatment == "prospective"
    with freeze_time("2026-12-31 12:00"):
        for month in range(7, 13):
            bill_and_issue(date(2026, month, 1))
    assert_reconciled(contract, date(2026, 12, 31))


def test_a_term_extension_below_ssp_is_prospective_and_reconciled():
    with freeze_time("2026-09-01 12:00"):
        contract = activated([line(seats(), "1000", "10")])
        bill_and_issue(date(2026, 1, 1))
        made = change(contract, kind="term", new_end_date=date(2027, 6, 30))
    treatment = ChangeOrderRevenue.objects.get(change=made)
    assert treatment.treatment == "prospective" and "not at its SSP" in treatment.reason
    with freeze_time("2027-06-30 12:00"):
        bill_and_issue(date(2027, 1, 1))
    assert_reconciled(contract, date(2027, 6, 30))


def test_a_change_of_a_product_that_is_not_distinct_is_a_cumulative_catch_up():
    with freeze_time("2026-06-10 12:00"):
        contract = activated(
            [line(seats(distinct=False), "1200", "10")], billing_frequency="monthly"
        )
        bill_and_issue(date(2026, 6, 1))
        made = change(
            contract,
            kind="price",
            line=contract.lines.get(),
            unit_price=Decimal("1500"),
            effective_date=date(2026, 6, 10),
        )
    assert ChangeOrderRevenue.objects.get(change=made).treatment == "cumulative_catch_up"
    with freeze_time("2026-12-31 12:00"):
        for month in range(7, 13):
            bill_and_issue(date(2026, month, 1))
    assert_reconciled(contract, date(2026, 12, 31))


def test_finance_overrides_the_treatment_with_a_note_and_revenue_is_re_versioned():
    with freeze_time("2026-06-10 12:00"):
        contract = activated([line(seats(), "1200", "10")], billing_frequency="monthly")
        bill_and_issue(date(2026, 6, 1))
        made = change(
            contract,
            kind="price",
            line=contract.lines.get(),
            unit_price=Decimal("1500"),
            effective_date=date(2026, 6, 10),
        )
        with pytest.raises(DomainValidationError) as err:
            override_change_treatment(
                change=made, treatment="cumulative_catch_up", note=" ", actor=None
            )
        assert (err.value.field, err.value.code) == ("note", "required")
        record = override_change_treatment(
            change=made, treatment="cumulative_catch_up", note="Not a series here", actor=None
        )
    assert (record.treatment, record.suggested_treatment) == ("cumulative_catch_up", "prospective")
    [obligation] = obligations(contract)
    current = RevenueSchedule.objects.get(obligation=obligation, is_current=True)
    assert current.version == 3 and current.basis_mode == "catch_up"
    with freeze_time("2026-12-31 12:00"):
        for month in range(7, 13):
            bill_and_issue(date(2026, month, 1))
    assert_reconciled(contract, date(2026, 12, 31))


def test_removing_a_second_line_mid_month_is_prospective_and_reconciled():
    # Seats (1,000.00 a month) and support (600.00 a year, 50.00 a month); support ends on
    # 10 June: its unused 21 days of June are credited on the July invoice.
    with freeze_time("2026-06-10 12:00"):
        contract = activated(
            [line(seats(), "1200", "10"), line(seats("600"), "600", "1")],
            billing_frequency="monthly",
        )
        bill_and_issue(date(2026, 6, 1))
        support = contract.lines.order_by("id").last()
        made = change(contract, kind="remove", line=support, effective_date=date(2026, 6, 10))
    assert ChangeOrderRevenue.objects.get(change=made).treatment == "prospective"
    with freeze_time("2026-12-31 12:00"):
        for month in range(7, 13):
            bill_and_issue(date(2026, month, 1))
    assert_reconciled(contract, date(2026, 12, 31))


def test_a_credit_larger_than_what_is_left_to_bill_is_refused_and_saves_nothing():
    with freeze_time("2026-12-10 12:00"):
        contract = activated([line(seats(), "1200", "10")], billing_frequency="monthly")
        bill_and_issue(date(2026, 12, 1))
        with pytest.raises(DomainValidationError) as err:
            change(
                contract,
                kind="remove",
                line=contract.lines.get(),
                effective_date=date(2026, 12, 10),
            )
    assert (err.value.field, err.value.code) == ("proration_behavior", "net_credit_not_invoiceable")
    assert not ChangeOrderRevenue.objects.exists()
    assert contract.lines.get().service_end is None


def test_the_treatment_is_read_and_overridden_over_the_api(client):
    from ordermgmt import roles
    from tests.factories import UserFactory

    with freeze_time("2026-06-10 12:00"):
        contract = activated([line(seats(), "1200", "10")], billing_frequency="monthly")
        bill_and_issue(date(2026, 6, 1))
        made = change(
            contract,
            kind="price",
            line=contract.lines.get(),
            unit_price=Decimal("1500"),
            effective_date=date(2026, 6, 10),
        )
        url = f"/api/v1/revenue/change-orders/{made.pk}/treatment/"
        client.force_login(UserFactory(role=roles.AUDITOR))
        read = client.get(url).json()
        assert read["treatment"] == "prospective" and "series" in read["reason"]
        assert client.post(url, {}, content_type="application/json").status_code == 403
        client.force_login(UserFactory(role=roles.FINANCE))
        refused = client.post(
            url, {"treatment": "cumulative_catch_up", "note": ""}, content_type="application/json"
        )
        assert (refused.json()["field"], refused.json()["code"]) == ("note", "required")
        done = client.post(
            url,
            {"treatment": "cumulative_catch_up", "note": "Not a series"},
            content_type="application/json",
        ).json()
    assert (done["treatment"], done["suggested_treatment"]) == (
        "cumulative_catch_up",
        "prospective",
    )
