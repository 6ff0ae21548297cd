"""The billing run's bulk writes: schedule lines point at the lines that bill them, usage
amounts are kept, history is written, a bounded number of statements, SKIP LOCKED, and the
database guard on issued invoices' lines."""

from datetime import date
from decimal import Decimal

import psycopg
import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from billing.models import (
    BillingRun,
    BillingScheduleLine,
    Invoice,
    InvoiceLine,
    ScheduleLineStatus,
)
from billing.services import execute_billing_run, issue_invoice, queue_billing_run, record_usage
from ordermgmt.models import RevenueType
from tests.factories import ProductFactory, UserFactory, active_contract, line_input

pytestmark = pytest.mark.django_db


def run(run_date, actor=None) -> BillingRun:
    billing_run = queue_billing_run(run_date=run_date, actor=actor)
    return execute_billing_run(run=BillingRun.objects.get(pk=billing_run.pk))


def usage_contract():
    product = ProductFactory(revenue_type=RevenueType.USAGE)
    line = line_input(product, quantity=Decimal(0), unit_price=Decimal("0.50"))
    return active_contract(billing_frequency="monthly", lines=[line])


def test_each_schedule_line_points_at_the_invoice_line_that_bills_it(settings):
    settings.LEDGERLINE_BILLING_CHUNK_SIZE = 2
    for _ in range(5):
        active_contract(billing_frequency="monthly")
    run(date(2026, 3, 1))
    lines = InvoiceLine.objects.select_related("schedule_line")
    assert lines.count() == 15
    for line in lines:
        assert line.schedule_line.invoice_line_id == line.pk
        assert line.schedule_line.status == ScheduleLineStatus.BILLED
        assert line.schedule_line.contract_id == line.invoice.contract_id


def test_usage_keeps_its_billed_amount_and_an_empty_period_is_billed_at_zero():
    contract = usage_contract()
    record_usage(
        contract_line=contract.lines.get(),
        usage_date=date(2026, 1, 15),
        quantity=Decimal("300"),
        reference="jan",
    )
    run(date(2026, 3, 1))  # January (billed 1 Feb) and February (billed 1 Mar) are due
    january, february = BillingScheduleLine.objects.filter(
        contract=contract, billing_date__lte=date(2026, 3, 1)
    ).order_by("billing_date")
    (invoice_line,) = InvoiceLine.objects.filter(invoice__contract=contract)
    assert (january.status, january.invoice_line_id) == ("billed", invoice_line.pk)
    assert (january.quantity, january.amount) == (Decimal("300"), Decimal("150.00"))
    assert (february.status, february.invoice_line_id) == ("billed", None)
    assert february.amount == Decimal(0)


def test_the_run_writes_one_created_history_record_per_invoice_by_its_actor():
    actor = UserFactory()
    active_contract()
    active_contract()
    billing_run = run(date(2026, 1, 1), actor=actor)
    records = Invoice.history.filter(history_type="+")
    assert records.count() == 2
    for record in records:
        invoice = Invoice.objects.get(pk=record.id)
        assert record.history_user == actor
        assert record.history_change_reason == f"invoice.drafted_by_run:{billing_run.pk}"
        assert (record.total_amount, record.status, record.account_id, record.created_at) == (
            invoice.total_amount,
            "draft",
            invoice.account_id,
            invoice.created_at,
        )


def test_a_run_uses_the_same_statements_however_many_usage_lines_it_bills():
    def statements_to_bill(contracts: int, run_date: date) -> int:
        for index in range(contracts):
            contract = usage_contract()
            record_usage(
                contract_line=contract.lines.get(),
                usage_date=date(2026, 1, 10),
                quantity=Decimal(10),
                reference=f"{run_date}-{index}",
            )
        with CaptureQueriesContext(connection) as queries:
            billed = run(run_date)
        assert billed.invoices_created == contracts
        # ANALYZE follows the invoice tables' growth (a few times a run), not the lines.
        return sum(
            1
            for q in queries.captured_queries
            if not q["sql"].startswith("ANALYZE") and "pg_class" not in q["sql"]
        )

    assert statements_to_bill(2, date(2026, 2, 1)) == statements_to_bill(6, date(2026, 2, 2))


def test_the_database_refuses_a_new_line_on_an_issued_invoice():
    active_contract()
    run(date(2026, 1, 1))
    invoice = issue_invoice(invoice=Invoice.objects.get(), actor=None)
    with (
        pytest.raises((IntegrityError, InternalError), match="issued invoice"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO billing_invoiceline (invoice_id, position, description, quantity, "
            "unit_price, discount_percent, amount, tax_percent, tax_amount, explanation, "
            "vat_category, vat_exemption_reason, vat_exemption_reason_code) "
            "VALUES (%s, 9, 'extra', 1, 1, 0, 1, 0, 0, '{}', 'S', '', '')",
            [invoice.pk],
        )
    assert invoice.lines.count() == 1


@pytest.mark.django_db(transaction=True)
def test_lines_another_run_holds_are_skipped_and_billed_by_the_next_run():
    held, free = active_contract(), active_contract()
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"],
    )
    try:
        # Another worker's chunk holds the first contract's lines until it commits.
        other.execute(
            "SELECT id FROM billing_billingscheduleline WHERE contract_id = %s FOR UPDATE",
            [held.pk],
        )
        first = run(date(2026, 1, 1))
        assert first.invoices_created == 1
        assert Invoice.objects.get().contract_id == free.pk
        assert BillingScheduleLine.objects.get(contract=held).status == "pending"
    finally:
        other.rollback()
        other.close()
    second = run(date(2026, 1, 1))
    assert second.invoices_created == 1
    assert Invoice.objects.filter(contract=held).count() == 1
