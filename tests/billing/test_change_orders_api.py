"""Change orders over the API, each a worked example on PostgreSQL.

The contracts here bill 10 seats at USD 1,200.00 a seat a year (USD 12,000.00 a year),
net of tax (a 0 % rate), on a calendar-year term. Each test says, step by step, which
days are credited at the old terms and debited at the new ones, and by which fraction of
the billing period (actual/actual days unless it says otherwise)."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingRun, BillingScheduleLine, Invoice, InvoiceLine
from billing.services import execute_billing_run, queue_billing_run
from ordermgmt import roles
from ordermgmt.models import ContractChange, ContractLine
from tests.factories import ProductFactory, ProductPriceFactory, UserFactory, active_contract

pytestmark = pytest.mark.django_db


def bill(run_date: date) -> BillingRun:
    run = queue_billing_run(run_date=run_date, actor=None)
    return execute_billing_run(run=BillingRun.objects.get(pk=run.pk))


def change(client, contract, **body):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    return client.post(
        f"/api/v1/contracts/{contract.pk}/change-orders/", body, content_type="application/json"
    )


def only_line(contract) -> ContractLine:
    return contract.lines.get()


def invoice_on(contract, day: date) -> Invoice:
    return Invoice.objects.get(contract=contract, invoice_date=day)


def amounts(invoice: Invoice) -> list[str]:
    return [f"{line.amount:.2f}" for line in invoice.lines.order_by("position")]


@freeze_time("2026-11-16 12:00")
def test_an_upgrade_mid_month_credits_the_unused_half_and_debits_the_new_half(client):
    # A monthly plan: 10 seats x 1,200.00 = 12,000.00 a year = 1,000.00 a month, billed in
    # advance. The run of 1 November billed January to November.
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 11, 1))
    line = only_line(contract)

    # On 16 November the customer goes to 20 seats. November has 30 days; 16-30 November
    # is 15 of them, exactly half the month.
    answer = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="20",
        effective_date="2026-11-16",
        proration_behavior="next_invoice",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()

    # Credit: the unused half of November at the old terms,
    #   10 x 1,200.00 = 12,000.00 a year x 1/12 year x 15/30 days = 500.00, credited.
    [credit] = body["credit_lines"]
    assert (credit["amount"], credit["period_start"], credit["period_end"]) == (
        "-500.00",
        "2026-11-16",
        "2026-11-30",
    )
    why = credit["explanation"]
    assert (why["days"], why["period_days"], why["convention"]) == (15, 30, "actual/actual")
    assert why["old_rate"] == "$12,000.00 a year" and why["new_rate"] == "$24,000.00 a year"
    # Debit: the same half month at the new terms,
    #   20 x 1,200.00 = 24,000.00 a year x 1/12 year x 15/30 days = 1,000.00.
    [debit] = body["debit_lines"]
    assert (debit["amount"], debit["period_start"], debit["period_end"]) == (
        "1000.00",
        "2026-11-16",
        "2026-11-30",
    )
    assert debit["explanation"]["days"] == 15
    # Both wait for the next invoice, on the next billing date (1 December).
    assert credit["billing_date"] == debit["billing_date"] == "2026-12-01"

    # The December invoice nets them beside December at 20 seats (2,000.00):
    #   2,000.00 - 500.00 + 1,000.00 = 2,500.00.
    bill(date(2026, 12, 1))
    december = invoice_on(contract, date(2026, 12, 1))
    assert sorted(amounts(december)) == sorted(["2000.00", "-500.00", "1000.00"])
    assert december.total_amount == Decimal("2500.00")
    credit_line = InvoiceLine.objects.get(invoice=december, amount=Decimal("-500.00"))
    assert "credit" in credit_line.description and credit_line.explanation["days"] == 15
    # The old line's December period (1,000.00 at 10 seats) is cancelled, not billed.
    assert not InvoiceLine.objects.filter(contract_line=line, invoice=december, amount=1000)
    assert ContractLine.objects.get(pk=line.pk).service_end == date(2026, 11, 15)
