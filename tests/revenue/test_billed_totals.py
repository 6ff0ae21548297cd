"""The balances and roll-forward read billed amounts from maintained movements (issue 20:
BilledRevenueMovement, kept by triggers on the billing documents): on every date, before
the first invoice, mid-period, after a credit note, a void, an amendment accounted in its
original, a payment's refund and a cancellation, they equal the per-line figures
(`billed_by_contract`), and the check finds and repairs a movement out of step."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from freezegun import freeze_time

from billing.models import BillingRun, BillingScheduleLine, Invoice, ScheduleLineKind
from billing.revenue.models import BilledRevenueMovement
from billing.revenue.selectors import (
    Scope,
    accounting_map,
    billed_by_contract,
    contract_balances,
    deferred_revenue_rollforward,
)
from billing.revenue.selectors.paged import balances_page, rollforward_page
from billing.revenue.selectors.positions_sql import billed_movements_sql
from billing.revenue.selectors.totals import revenue_totals_drift
from billing.services import (
    apply_payment,
    execute_billing_run,
    issue_credit_note,
    queue_billing_run,
    record_payment,
    record_usage,
    refund_payment,
    void_invoice,
)
from ordermgmt import services
from ordermgmt.models import RevenueType

from .helpers import D, activated, bill_and_issue, line, product
from .test_modifications import amend, vc_contract

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the movements are PostgreSQL's"),
]
SUB = RevenueType.SUBSCRIPTION
DATES = [
    date(2025, 12, 31),  # before the first invoice
    date(2026, 1, 1),  # the first invoices' date
    date(2026, 1, 15),  # mid-period
    date(2026, 2, 14),  # the day before a credit note
    date(2026, 2, 15),
    date(2026, 3, 9),  # the day before a void
    date(2026, 3, 10),
    date(2026, 3, 31),
    date(2026, 4, 1),  # the amendment's invoices
    date(2026, 5, 17),  # a cancellation
    date(2026, 6, 30),
    date(2027, 6, 30),
]


@pytest.fixture
def book(finance):
    credited = activated([line(product("12000", revenue_type=SUB), "12000")])
    voided = activated([line(product("6000", revenue_type=SUB), "6000")])
    original = activated([line(product("24000", revenue_type=SUB), "24000")])
    activated([line(product("9000", revenue_type=SUB, currency="EUR"), "9000")], currency="EUR")
    refunding = vc_contract()
    calls = product(None, revenue_type=RevenueType.USAGE, name="API calls")
    metered = activated([line(calls, "0.10", quantity="0")], billing_frequency="monthly")
    record_usage(
        contract_line=metered.lines.get(),
        usage_date=date(2026, 1, 10),
        quantity=D(1000),
        reference="u1",
    )
    cancelled = activated(
        [line(product("12000", revenue_type=SUB), "12000")],
        start_date=date(2026, 1, 1),
        end_date=date(2026, 12, 31),
        billing_frequency="monthly",
    )
    invoices = bill_and_issue(date(2026, 1, 1))
    of = {i.contract_id: i for i in invoices}
    issue_credit_note(
        invoice=of[credited.pk],
        actor=finance,
        reason="Goodwill",
        amount=D("1000.00"),
        credit_date=date(2026, 2, 15),
    )
    bill_and_issue(date(2026, 2, 1))
    with freeze_time("2026-03-10 12:00"):
        void_invoice(invoice=of[voided.pk], actor=finance, reason="Wrong customer")
    # A payment applied, then the rest refunded: cash moves, billed does not.
    wire = record_payment(
        account=refunding.account,
        amount=D("5000.00"),
        currency="USD",
        received_date=date(2026, 3, 12),
        method="wire",
        reference="W1",
        actor=finance,
    )
    apply_payment(payment=wire, invoice=of[refunding.pk], amount=D("3000.00"), actor=finance)
    refund_payment(payment=wire, amount=D("2000.00"), actor=finance, reference="R1", reason="x")
    amend(
        original,
        [line(product("6000", revenue_type=SUB), "4500")],
        priced_at_ssp=False,
        remaining=True,
    )
    bill_and_issue(date(2026, 4, 1))
    with freeze_time("2026-05-17 12:00"):
        services.cancel_contract(contract=cancelled, actor=None, comment="Lost")
    bill_and_issue(date(2026, 5, 1))
    return {"metered": metered, "original": original}


EVERY_CONTRACT = Scope()


def maintained_billed(as_of: date, scope: Scope = EVERY_CONTRACT) -> dict:
    """billed_by_contract's figures from the movements (the SQL the pages join)."""
    sql, params = billed_movements_sql(as_of, scope)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    mapping = accounting_map([contract_id for contract_id, *_ in found])
    totals: dict = {}
    for contract_id, usage, amount in found:
        billed, usage_billed = totals.get(mapping.get(contract_id, contract_id), (D(0), D(0)))
        totals[mapping.get(contract_id, contract_id)] = (
            billed + amount,
            usage_billed + (amount if usage else D(0)),
        )
    return totals


def assert_billed_equals_the_lines() -> None:
    assert revenue_totals_drift() == []
    for as_of in DATES:
        for scope in (Scope(), Scope(currency="USD"), Scope(currency="EUR")):
            assert maintained_billed(as_of, scope) == billed_by_contract(as_of, scope), as_of
            shown = balances_page(as_of, scope, page_size=100)
            assert shown.rows == contract_balances(as_of, scope), (as_of, scope)
    for start, end in [
        (date(2026, 1, 1), date(2026, 2, 14)),
        (date(2026, 1, 16), date(2026, 3, 31)),
        (date(2026, 2, 15), date(2027, 6, 30)),
    ]:
        for currency in ("USD", "EUR"):
            paged = rollforward_page(start=start, end=end, currency=currency, page_size=100)
            full = deferred_revenue_rollforward(start=start, end=end, currency=currency)
            assert paged.rows == full.rows and paged.totals == full.totals(), (start, end)


def test_the_billed_movements_equal_the_invoice_and_credit_lines_on_every_date(book):
    assert BilledRevenueMovement.objects.filter(amount__lt=0).exists()  # the credit notes
    assert BilledRevenueMovement.objects.filter(usage=True).exists()
    assert Invoice.objects.filter(status="void").exists()
    assert maintained_billed(DATES[0]) == {}
    assert_billed_equals_the_lines()
    april = maintained_billed(date(2026, 4, 30), Scope(contract_ids=(book["original"].pk,)))
    # The amendment is accounted in the original: its invoices count in the original's row.
    assert april[book["original"].pk][0] > D("24000.00")


def test_the_movements_follow_direct_edits_of_the_documents(book, finance):
    # A schedule line's kind read through its invoice line, a credit note moved in time, a
    # draft invoice's lines (not billed until issued) and the draft issued by SQL.
    usage_line = BillingScheduleLine.objects.filter(
        kind=ScheduleLineKind.USAGE, invoice_line__isnull=False
    ).first()
    BillingScheduleLine.objects.filter(pk=usage_line.pk).update(kind=ScheduleLineKind.ONE_TIME)
    assert_billed_equals_the_lines()
    with connection.cursor() as cursor:  # past the guard of issued notes, as a repair would
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending events for ALTER
        cursor.execute("ALTER TABLE billing_creditnote DISABLE TRIGGER billing_creditnote_frozen")
        cursor.execute("UPDATE billing_creditnote SET credit_date = '2026-01-20'")
        cursor.execute("ALTER TABLE billing_creditnote ENABLE TRIGGER billing_creditnote_frozen")
    assert_billed_equals_the_lines()
    activated([line(product("3000"), "3000")], start_date=date(2026, 6, 1))
    run = queue_billing_run(run_date=date(2026, 6, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    draft = Invoice.objects.filter(status="draft").first()
    before = maintained_billed(date(2026, 6, 30))
    assert before == billed_by_contract(date(2026, 6, 30))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_invoice SET status = 'issued', number = 'SQL-1' WHERE id = %s",
            [draft.pk],
        )
    after = maintained_billed(date(2026, 6, 30))
    assert after != before and after == billed_by_contract(date(2026, 6, 30))
    assert_billed_equals_the_lines()


def test_the_check_finds_a_billed_movement_out_of_step_and_repairs_it(book):
    call_command("check_revenue_totals")
    kept = BilledRevenueMovement.objects.order_by("pk").first()
    BilledRevenueMovement.objects.filter(pk=kept.pk).update(amount=kept.amount + D("0.01"))
    drift = revenue_totals_drift()
    assert [(table, contract_id) for table, contract_id, *_ in drift] == [
        ("billed", kept.contract_id)
    ]
    with pytest.raises(CommandError):
        call_command("check_revenue_totals")
    call_command("check_revenue_totals", "--repair")
    assert revenue_totals_drift() == []
    BilledRevenueMovement.objects.order_by("pk").first().delete()  # refilled: new rows
    assert [table for table, *_ in revenue_totals_drift()] == ["billed"]
    call_command("check_revenue_totals", "--repair")
    call_command("check_revenue_totals")
    assert_billed_equals_the_lines()
