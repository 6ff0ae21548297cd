"""The revenue pages read maintained totals (issue 20: billing.revenue.models_totals, kept
by triggers on the schedule lines and versions): every figure equals the per-contract
reports over the lines, on month ends, mid-month, before the first line and before and
after each new version's effective date, through a revenue build, a delivery, a
cancellation, a prospective amendment accounted in its original, a catch-up re-estimate,
two currencies, and direct edits and deletes of lines and versions; and the check
recomputes the tables from every line."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from freezegun import freeze_time

from billing.revenue import services as revenue
from billing.revenue.models import (
    RecognisedRevenueMovement,
    RevenueSchedule,
    RevenueScheduleLine,
    ScheduledRevenueMonth,
)
from billing.revenue.selectors import Scope, contract_balances, revenue_waterfall
from billing.revenue.selectors.paged import balances_page, waterfall_page
from billing.revenue.selectors.totals import revenue_totals_drift
from billing.services import issue_credit_note
from ordermgmt import services
from ordermgmt.models import RevenueType

from .helpers import D, activated, bill_and_issue, line, obligations, product
from .test_modifications import amend, vc_contract

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the totals are PostgreSQL's"),
]
SUB = RevenueType.SUBSCRIPTION
DATES = [
    date(2025, 12, 31),  # before the first line
    date(2026, 1, 31),
    date(2026, 2, 14),  # mid-month
    date(2026, 3, 19),  # the day before a delivery
    date(2026, 3, 20),
    date(2026, 3, 31),
    date(2026, 5, 17),
    date(2026, 6, 30),
    date(2026, 7, 1),  # a catch-up's date
    date(2026, 9, 15),
    date(2026, 12, 31),
    date(2027, 6, 30),
]


@pytest.fixture
def book(finance):
    credited = activated([line(product("12000", revenue_type=SUB), "12000")])
    original = activated([line(product("24000", revenue_type=SUB), "24000")])
    activated([line(product("9000", revenue_type=SUB, currency="EUR"), "9000")], currency="EUR")
    refunding = vc_contract()
    implementation = product(
        "20000", revenue_type=RevenueType.PROFESSIONAL_SERVICES, name="Implementation"
    )
    services_contract = activated(
        [line(product("72000", revenue_type=SUB), "60000"), line(implementation, "15000")],
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    cancelled = activated(
        [line(product("12000", revenue_type=SUB), "12000")],
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
    )
    invoices = bill_and_issue(date(2026, 1, 1))
    issue_credit_note(
        invoice=next(i for i in invoices if i.contract_id == credited.pk),
        actor=finance,
        reason="Goodwill",
        amount=D("1000.00"),
        credit_date=date(2026, 2, 15),
    )
    (_, go_live) = obligations(services_contract)
    revenue.record_delivery(
        obligation=go_live, delivered_on=date(2026, 3, 20), reference="GO-LIVE", actor=finance
    )
    with freeze_time("2026-05-17 12:00"):
        services.cancel_contract(contract=cancelled, actor=None, comment="Lost")
    amend(
        original,
        [line(product("6000", revenue_type=SUB), "4500")],
        priced_at_ssp=False,
        remaining=True,
    )
    revenue.reestimate_variable_consideration(
        contract=refunding,
        amount=D("-2000"),
        effective_date=date(2026, 7, 1),
        actor=finance,
        note="Volume rebate now expected at the upper tier.",
    )
    bill_and_issue(date(2026, 4, 1))
    return {"original": original, "refunding": refunding}


def every_page(fetch, page_size=2):
    rows, page = [], 1
    while True:
        shown = fetch(page, page_size)
        rows += shown.rows if hasattr(shown, "rows") else shown.report.rows
        if page >= shown.paging.pages:
            return rows, shown
        page += 1


def assert_pages_equal_the_lines() -> None:
    assert revenue_totals_drift() == []
    for currency in ("USD", "EUR"):
        for as_of in DATES:
            scope = Scope(currency=currency)
            rows, _ = every_page(
                lambda page, size, as_of=as_of, scope=scope: balances_page(
                    as_of, scope, page=page, page_size=size
                )
            )
            assert rows == contract_balances(as_of, scope), (currency, as_of)
            for start in (date(as_of.year, 1, 1), date(2026, 3, 1)):
                full = revenue_waterfall(as_of=as_of, currency=currency, start=start)
                rows, last = every_page(
                    lambda page, size, as_of=as_of, start=start, currency=currency: waterfall_page(
                        as_of=as_of, currency=currency, start=start, page=page, page_size=size
                    )
                )
                assert rows == full.rows, (currency, as_of, start)
                before, columns, after, total = full.column_totals()
                assert (last.before, last.columns, last.after, last.total) == (
                    before,
                    columns,
                    after,
                    total,
                )


def test_the_pages_read_from_the_totals_equal_the_reports_over_the_lines(book):
    assert RecognisedRevenueMovement.objects.exists() and ScheduledRevenueMonth.objects.exists()
    assert RevenueSchedule.objects.filter(version__gt=1).count() >= 4
    assert_pages_equal_the_lines()
    end = {r.contract_id: r for r in contract_balances(date(2026, 12, 31), Scope())}
    assert end[book["refunding"].pk].refund_liability > 0


def test_the_totals_follow_edits_and_deletes_of_lines_and_versions(book):
    latest = RevenueSchedule.objects.filter(version__gt=1).order_by("-pk").first()
    line_ = RevenueScheduleLine.objects.filter(schedule=latest).order_by("-pk").first()
    line_.amount += D("10.00")
    line_.recognition_date = date(2026, 8, 31)
    line_.save()
    assert_pages_equal_the_lines()
    # A version's effective date moved, then the version removed with its lines: the one
    # before it counts again, from its own date.
    RevenueSchedule.objects.filter(pk=latest.pk).update(effective_date=date(2026, 2, 1))
    assert_pages_equal_the_lines()
    RevenueScheduleLine.objects.filter(schedule=latest).delete()
    RevenueSchedule.objects.filter(pk=latest.pk).delete()
    assert_pages_equal_the_lines()


def test_the_check_finds_a_total_out_of_step_and_repairs_it(book):
    call_command("check_revenue_totals")
    RecognisedRevenueMovement.objects.filter(
        pk=RecognisedRevenueMovement.objects.order_by("pk").values("pk")[:1]
    ).update(amount=D("1.00"))
    with pytest.raises(CommandError):
        call_command("check_revenue_totals")
    call_command("check_revenue_totals", "--repair")
    call_command("check_revenue_totals")
    assert revenue_totals_drift() == []


def test_a_nil_row_outside_the_window_is_left_out_of_the_column_totals():
    shown = activated([line(product("12000", revenue_type=SUB), "12000")])
    nil = activated([line(product("6000", revenue_type=SUB), "6000")])
    (obligation,) = obligations(nil)
    rows = RevenueScheduleLine.objects.filter(obligation=obligation).order_by("recognition_date")
    first, last = rows.first(), rows.last()
    rows.update(amount=D(0))
    # Revenue before the window taken back after it: the row's total and window are nil.
    RevenueScheduleLine.objects.filter(pk=first.pk).update(amount=D("100.00"))
    RevenueScheduleLine.objects.filter(pk=last.pk).update(amount=D("-100.00"))
    as_of, start = date(2026, 12, 31), first.recognition_date.replace(day=1, month=5)
    assert first.recognition_date < start and last.recognition_date > date(2026, 7, 31)
    full = revenue_waterfall(as_of=as_of, currency="USD", start=start, months=3)
    paged = waterfall_page(as_of=as_of, currency="USD", start=start, months=3)
    assert [r.contract_id for r in full.rows] == [shown.pk]
    assert paged.report.rows == full.rows and paged.paging.count == 1
    before, columns, after, total = full.column_totals()
    assert (paged.before, paged.columns, paged.after) == (before, columns, after)
    assert revenue_totals_drift() == []
