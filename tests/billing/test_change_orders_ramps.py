"""Change orders on ramped lines, over the API, each a worked example on PostgreSQL.

The line ramps: 1 January - 30 June 2026, 10 seats at USD 1,200.00 a seat a year
(1,000.00 a month); 1 July - 31 December, 20 seats at 1,080.00 (1,800.00 a month).
Billed monthly in advance, net of tax (a 0 % rate); actual/actual days.

The rule: a change holds from its date to the end of the line, across the ramp steps it
covers (as a Zuora "update product" without an end date, or a Stripe subscription
schedule whose phases from that date are rewritten). A quantity change sets each covered
step's quantity and keeps each step's price; a price change sets each covered step's
price and keeps its quantity. Steps before the date stay on the old line."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine, Invoice
from ordermgmt import roles
from ordermgmt.models import ContractChange, ContractLine, RampStep
from ordermgmt.services import RampStepInput
from tests.billing.change_order_helpers import bill, change
from tests.factories import ProductFactory, UserFactory, active_contract, line_input

pytestmark = pytest.mark.django_db
D = Decimal


def ramped_contract():
    ramp = [
        RampStepInput(date(2026, 1, 1), date(2026, 6, 30), D(10), D(1200)),
        RampStepInput(date(2026, 7, 1), date(2026, 12, 31), D(20), D(1080)),
    ]
    return active_contract(
        billing_frequency="monthly", lines=[line_input(ProductFactory(), ramp_steps=ramp)]
    )


def steps_of(line: ContractLine) -> list[tuple]:
    return [
        (s.start_date, s.end_date, s.quantity, s.unit_price)
        for s in RampStep.objects.filter(line=line).order_by("start_date")
    ]


def planned(line: ContractLine) -> list[tuple]:
    return [
        (row.period_start.month, f"{row.amount:.2f}")
        for row in BillingScheduleLine.objects.filter(
            contract_line=line, kind="recurring", status="pending"
        ).order_by("period_start")
    ]


@freeze_time("2026-04-16 12:00")
def test_a_seat_increase_mid_step_keeps_the_ramps_prices_and_nets_on_the_next_invoice(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))  # January to April billed, 1,000.00 each
    line = contract.lines.get()

    # From 16 April: 15 seats. April has 30 days; 16-30 April is 15 of them, half.
    answer = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="15",
        effective_date="2026-04-16",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    # Credit at the old step's terms: 10 x 1,200.00 = 12,000.00 a year x 1/12 x 15/30
    # = 500.00. Debit at the new: 15 x 1,200.00 = 18,000.00 a year x 1/12 x 15/30 = 750.00.
    [credit], [debit] = body["credit_lines"], body["debit_lines"]
    assert (credit["amount"], credit["period_start"], credit["period_end"]) == (
        "-500.00",
        "2026-04-16",
        "2026-04-30",
    )
    assert credit["explanation"]["old_rate"] == "$12,000.00 a year"
    assert credit["explanation"]["new_rate"] == "$18,000.00 a year"
    assert (debit["amount"], debit["explanation"]["days"]) == ("750.00", 15)
    assert "15 × $1,200.00" in debit["explanation"]["formula"]

    # The new line carries both steps from 16 April at 15 seats, each at its own price.
    new_line = ContractLine.objects.get(pk=body["new_line"])
    assert steps_of(new_line) == [
        (date(2026, 4, 16), date(2026, 6, 30), D(15), D(1200)),
        (date(2026, 7, 1), date(2026, 12, 31), D(15), D(1080)),
    ]
    # May and June: 18,000.00 / 12 = 1,500.00; July to December 15 x 1,080.00 =
    # 16,200.00 a year = 1,350.00 a month. The old line's May - December are cancelled.
    assert planned(new_line) == [(5, "1500.00"), (6, "1500.00")] + [
        (month, "1350.00") for month in range(7, 13)
    ]
    assert planned(line) == []

    # 1 May: 1,500.00 + 750.00 - 500.00 = 1,750.00.
    bill(date(2026, 5, 1))
    may = Invoice.objects.get(contract=contract, invoice_date=date(2026, 5, 1))
    assert sorted(f"{ln.amount:.2f}" for ln in may.lines.all()) == ["-500.00", "1500.00", "750.00"]
    assert may.total_amount == D("1750.00")
    # Value: 4 x 1,000.00 - 500.00 + 750.00 + 2 x 1,500.00 + 6 x 1,350.00 = 15,350.00.
    total = sum(
        row.amount
        for row in BillingScheduleLine.objects.filter(contract=contract).exclude(status="cancelled")
    )
    assert total == D("15350.00")


@freeze_time("2026-04-20 12:00")
def test_a_price_change_from_the_first_of_a_month_replaces_every_remaining_steps_price(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))
    line = contract.lines.get()

    # From 1 May, 1,500.00 a seat a year. May is not billed yet: nothing to credit.
    body = change(
        client,
        contract,
        kind="price",
        line=line.pk,
        unit_price="1500",
        effective_date="2026-05-01",
    ).json()
    assert body["credit_lines"] == [] and body["debit_lines"] == []
    new_line = ContractLine.objects.get(pk=body["new_line"])
    # The quantities of the ramp stay (10, then 20), the price is the new one in both.
    assert steps_of(new_line) == [
        (date(2026, 5, 1), date(2026, 6, 30), D(10), D(1500)),
        (date(2026, 7, 1), date(2026, 12, 31), D(20), D(1500)),
    ]
    # 10 x 1,500.00 / 12 = 1,250.00 for May and June; 20 x 1,500.00 / 12 = 2,500.00 after.
    assert planned(new_line) == [(5, "1250.00"), (6, "1250.00")] + [
        (month, "2500.00") for month in range(7, 13)
    ]
    # The steps before the date stay on the old line, which ends on 30 April.
    old = ContractLine.objects.get(pk=line.pk)
    assert old.service_end == date(2026, 4, 30)
    # The contract's value: 4 x 1,000.00 + 2 x 1,250.00 + 6 x 2,500.00 = 21,500.00.
    rows = BillingScheduleLine.objects.filter(contract=contract).exclude(status="cancelled")
    assert sum(row.amount for row in rows) == D("21500.00")


@freeze_time("2026-04-16 12:00")
def test_a_bad_change_on_a_ramped_line_names_the_field_and_saves_nothing(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))
    line = contract.lines.get()
    rows = BillingScheduleLine.objects.filter(contract=contract).count()

    answer = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="-1",
        effective_date="2026-04-16",
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == ("quantity", "negative_quantity")
    same = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="10",
        effective_date="2026-04-16",
    )
    # 10 is the quantity of the step it falls in, but not of the later step (20): a change.
    assert same.status_code == 201, same.json()
    # 10 seats again from 1 May on the new line: every step it covers already has 10.
    again = change(
        client,
        contract,
        kind="quantity",
        line=same.json()["new_line"],
        quantity="10",
        effective_date="2026-05-01",
    )
    assert again.status_code == 400
    assert (again.json()["field"], again.json()["code"]) == ("quantity", "nothing_changes")
    assert ContractChange.objects.filter(contract=contract).count() == 1
    assert BillingScheduleLine.objects.filter(contract=contract).count() > rows


@freeze_time("2026-04-16 12:00")
def test_the_console_page_takes_a_change_on_a_ramped_line(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    answer = client.post(
        f"/billing/contracts/{contract.pk}/change-orders/",
        {
            "kind": "quantity",
            "line": contract.lines.get().pk,
            "effective_date": "2026-04-16",
            "quantity": "15",
            "proration_behavior": "next_invoice",
        },
        follow=True,
    )
    page = answer.content.decode()
    assert answer.status_code == 200
    assert "−$500.00" in page or "-$500.00" in page  # credit, old step's terms
    assert "$750.00" in page  # debit, 15 seats at the step's price
    assert ContractChange.objects.filter(contract=contract).count() == 1


@freeze_time("2026-04-16 12:00")
def test_a_term_extension_continues_the_ramps_last_step(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))
    line = contract.lines.get()
    # Three more months: the last step (20 seats at 1,080.00, 1,800.00 a month) runs on to
    # 31 March 2027, planned like the rest of it.
    answer = change(client, contract, kind="term", new_end_date="2027-03-31")
    assert answer.status_code == 201, answer.json()
    assert steps_of(line)[-1] == (date(2026, 7, 1), date(2027, 3, 31), D(20), D(1080))
    assert planned(line)[-3:] == [(1, "1800.00"), (2, "1800.00"), (3, "1800.00")]


@freeze_time("2026-04-20 12:00")
def test_a_swap_on_a_ramped_line_prices_every_remaining_step_at_the_new_products_price(client):
    contract = ramped_contract()
    bill(date(2026, 4, 1))
    premium = ProductFactory()
    body = change(
        client,
        contract,
        kind="swap",
        line=contract.lines.get().pk,
        product=premium.pk,
        unit_price="1800",
        effective_date="2026-05-01",
    ).json()
    new_line = ContractLine.objects.get(pk=body["new_line"])
    assert new_line.product_id == premium.pk
    # The ramp's quantities stay (10, then 20); 10 x 1,800.00 / 12 = 1,500.00 and
    # 20 x 1,800.00 / 12 = 3,000.00 a month.
    assert steps_of(new_line) == [
        (date(2026, 5, 1), date(2026, 6, 30), D(10), D(1800)),
        (date(2026, 7, 1), date(2026, 12, 31), D(20), D(1800)),
    ]
    assert planned(new_line) == [(5, "1500.00"), (6, "1500.00")] + [
        (month, "3000.00") for month in range(7, 13)
    ]
