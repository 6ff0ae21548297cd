"""Contract balances (one net position per contract), the waterfall, the deferred revenue
roll-forward and the journal, reconciled to the invoices."""

from collections import defaultdict
from datetime import date

import pytest

from billing.models import Invoice
from billing.revenue.journal import revenue_journal
from billing.revenue.selectors import (
    Scope,
    billing_documents,
    contract_balance,
    contract_balances,
    deferred_revenue_rollforward,
    revenue_waterfall,
)
from billing.services import issue_credit_note, record_usage
from ordermgmt.models import RevenueType
from ordermgmt.services import RampStepInput

from .helpers import D, activated, bill_and_issue, line, product

pytestmark = pytest.mark.django_db
SUB = RevenueType.SUBSCRIPTION


def yearly_subscription(price="12000", **terms):
    return activated([line(product(price, revenue_type=SUB), price)], **terms)


def test_balance_is_reconciled_to_the_invoices_and_credit_notes(finance):
    contract = yearly_subscription()
    (invoice,) = bill_and_issue(date(2026, 1, 1))
    issue_credit_note(
        invoice=invoice,
        actor=finance,
        reason="Goodwill",
        amount=D("1000.00"),
        credit_date=date(2026, 2, 15),
    )
    before_credit = contract_balance(contract, date(2026, 2, 14))
    assert before_credit.billed == D("12000.00")
    balance = contract_balance(contract, date(2026, 3, 31))
    documents = billing_documents(contract, date(2026, 3, 31))
    assert [(d.kind, d.net_amount) for d in documents] == [
        ("invoice", D("12000.00")),
        ("credit_note", D("-1000.00")),
    ]
    assert sum(d.net_amount for d in documents) == balance.billed == D("11000.00")
    # 90 of 365 days of 12,000, cumulative rounding.
    assert balance.recognised == D("2958.90")
    assert balance.deferred_revenue == D("8041.10") and balance.unbilled == 0
    assert balance.position == "contract liability (deferred revenue)"


def test_nothing_billed_or_recognised_before_the_start():
    contract = yearly_subscription()
    bill_and_issue(date(2026, 1, 1))
    assert contract_balances(date(2025, 12, 31), Scope(contract_ids=(contract.pk,))) == []


def test_a_draft_invoice_is_not_billed():
    contract = yearly_subscription()
    from billing.models import BillingRun
    from billing.services import execute_billing_run, queue_billing_run

    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    assert Invoice.objects.get().status == "draft"
    assert contract_balance(contract, date(2026, 1, 31)).billed == 0


def test_usage_is_recognised_as_the_right_to_invoice_then_billed(finance):
    calls = product(None, revenue_type=RevenueType.USAGE, name="API calls")
    contract = activated([line(calls, "0.10", quantity="0")], billing_frequency="monthly")
    usage_line = contract.lines.get()
    record_usage(
        contract_line=usage_line, usage_date=date(2026, 1, 10), quantity=D(1000), reference="u1"
    )
    at_month_end = contract_balance(contract, date(2026, 1, 31))
    assert (at_month_end.recognised, at_month_end.billed) == (D("100.00"), 0)
    assert at_month_end.unbilled == D("100.00")
    bill_and_issue(date(2026, 2, 1))
    invoiced = contract_balance(contract, date(2026, 2, 1))
    assert (invoiced.billed, invoiced.net_position) == (D("100.00"), 0)


def test_the_roll_forward_adds_up_per_contract_and_in_total():
    yearly_subscription()
    ramped = product("120000", revenue_type=SUB)
    activated(
        [
            line(
                ramped,
                "120000",
                ramp_steps=[
                    RampStepInput(date(2026, 1, 1), date(2026, 12, 31), D(1), D(100000)),
                    RampStepInput(date(2027, 1, 1), date(2027, 12, 31), D(1), D(140000)),
                ],
            )
        ],
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
    )
    bill_and_issue(date(2026, 1, 1))
    report = deferred_revenue_rollforward(
        start=date(2026, 7, 1), end=date(2026, 12, 31), currency="USD"
    )
    assert len(report.rows) == 2
    for row in report.rows:
        assert row.balanced
        assert row.opening + row.billed - row.recognised == row.closing
    totals = report.totals()
    assert totals["opening"] + totals["billed"] - totals["recognised"] == totals["closing"]
    ramp_row = report.rows[1]
    assert ramp_row.closing_unbilled == D("20000.00")  # 120k recognised vs 100k billed
    assert ramp_row.closing == D("-20000.00")


def test_the_waterfall_shows_recognised_then_scheduled_months_as_of_a_date():
    contract = yearly_subscription(
        "36500", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    report = revenue_waterfall(as_of=date(2026, 3, 31), currency="USD", start=date(2026, 1, 1))
    (row,) = report.rows
    assert row.contract_id == contract.pk
    assert row.months[:3] == [D("3100.00"), D("2800.00"), D("3100.00")]
    assert report.recognised_months[:4] == [True, True, True, False]
    assert row.total == D("36500.00") and row.before == row.after == 0


def test_the_waterfall_as_of_a_date_uses_the_schedule_known_then():
    from .test_modifications import amend

    service = product("120000", revenue_type=SUB)
    even = {"ratable_method": "monthly_even"}
    original = activated([line(service, "120000")], settings=lambda c: even)
    amend(
        original,
        [line(service, "48000")],
        priced_at_ssp=False,
        remaining=False,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 12, 31),
        day_count_convention="30_360",
    )
    before = revenue_waterfall(as_of=date(2026, 6, 30), currency="USD", start=date(2026, 1, 1))
    after = revenue_waterfall(as_of=date(2026, 7, 31), currency="USD", start=date(2026, 1, 1))
    assert before.rows[0].months[6] == D("10000.00")
    assert after.rows[0].months[6] == D("24000.00")
    assert before.rows[0].months[:6] == after.rows[0].months[:6]


def test_the_journal_balances_and_leaves_the_contract_positions_in_the_ledger():
    contract = yearly_subscription()
    ramped = product("120000", revenue_type=SUB)
    ramp = activated(
        [
            line(
                ramped,
                "120000",
                ramp_steps=[
                    RampStepInput(date(2026, 1, 1), date(2026, 12, 31), D(1), D(100000)),
                    RampStepInput(date(2027, 1, 1), date(2027, 12, 31), D(1), D(140000)),
                ],
            )
        ],
        start_date=date(2026, 1, 1),
        end_date=date(2027, 12, 31),
    )
    bill_and_issue(date(2026, 1, 1))
    lines = revenue_journal(start=date(2026, 1, 1), end=date(2026, 12, 31), currency="USD")
    per_entry = defaultdict(lambda: [D(0), D(0)])
    per_account = defaultdict(lambda: defaultdict(D))
    for entry in lines:
        per_entry[entry.entry_id][0] += entry.debit or 0
        per_entry[entry.entry_id][1] += entry.credit or 0
        per_account[entry.contract][entry.account] += (entry.debit or 0) - (entry.credit or 0)
    assert all(debit == credit for debit, credit in per_entry.values())
    year_end = {b.reference: b for b in contract_balances(date(2026, 12, 31), Scope())}
    for reference, accounts in per_account.items():
        balance = year_end[reference]
        assert accounts.get("2400", 0) == -balance.deferred_revenue
        assert accounts.get("1250", 0) == balance.unbilled
        assert -sum(v for k, v in accounts.items() if k.startswith("4")) == balance.recognised
    assert per_account[ramp.reference]["1250"] == D("20000.00")
    assert per_account[contract.reference]["1200"] == D("12000.00")


def test_the_journal_names_invoice_and_credit_note_entries_by_their_number_once(finance):
    yearly_subscription()
    (invoice,) = bill_and_issue(date(2026, 1, 1))
    note = issue_credit_note(
        invoice=invoice,
        actor=finance,
        reason="Goodwill",
        amount=D("1000.00"),
        credit_date=date(2026, 2, 15),
    )
    lines = revenue_journal(start=date(2026, 1, 1), end=date(2026, 12, 31), currency="USD")
    entry_ids = {line.entry_id for line in lines if line.source in (invoice.number, note.number)}
    assert invoice.number.startswith("INV-") and note.number.startswith("CN-")
    assert entry_ids == {invoice.number, note.number}
