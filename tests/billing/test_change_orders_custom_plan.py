"""Change orders on a contract billed by a custom installment plan, over the API.

The contract: 10 seats at USD 1,200.00 a seat a year (12,000.00) for 2026, billed 25 %
on 1 January, 1 April, 1 July and 1 October (3,000.00 each), net of tax (a 0 % rate).

A plan bills shares of value, not periods, so a change is priced by value, line by line:
the old line is worth its annual price for the months it served, the new line its new
annual price for the months left; what each was already billed is taken off; the old
line's pending installments are cancelled and what is left is re-spread over the plan
dates not yet billed, by their percentages; what cannot be spread (a line billed beyond
its new value, or value left when no plan date is) is a credit or debit line with its
"why", on the next invoice or invoiced now."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine, Invoice
from ordermgmt import roles
from ordermgmt.models import ContractChange, ContractLine
from tests.billing.change_order_helpers import bill, change
from tests.factories import UserFactory, active_contract

pytestmark = pytest.mark.django_db
D = Decimal
PLAN = [{"billing_date": f"2026-{month:02d}-01", "percent": "25"} for month in (1, 4, 7, 10)]


def plan_contract():
    return active_contract(billing_frequency="custom", custom_billing_plan=PLAN)


def pending(line) -> list[tuple]:
    return [
        (row.billing_date, f"{row.amount:.2f}")
        for row in BillingScheduleLine.objects.filter(
            contract_line=line, kind="installment", status="pending"
        ).order_by("billing_date")
    ]


def contract_value(contract) -> Decimal:
    rows = BillingScheduleLine.objects.filter(contract=contract).exclude(status="cancelled")
    return sum((row.amount for row in rows), D(0))


@freeze_time("2026-03-20 12:00")
def test_a_price_change_re_spreads_the_unbilled_installments_to_the_new_value(client):
    contract = plan_contract()
    bill(date(2026, 1, 1))  # 3,000.00 billed
    line = contract.lines.get()

    # From 1 April, 1,500.00 a seat a year.
    answer = change(
        client,
        contract,
        kind="price",
        line=line.pk,
        unit_price="1500",
        effective_date="2026-04-01",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    # Old line: 12,000.00 a year x 3/12 year (January - March) = 3,000.00, billed 3,000.00:
    # nothing left, nothing to credit. Its three pending installments are cancelled.
    assert body["credit_lines"] == [] and body["debit_lines"] == []
    assert pending(line) == []
    # New line: 10 x 1,500.00 = 15,000.00 a year x 9/12 year = 11,250.00, spread over
    # the three dates left, 25 % each of the 75 % left: 3,750.00 each.
    new_line = ContractLine.objects.get(pk=body["new_line"])
    assert pending(new_line) == [
        (date(2026, 4, 1), "3750.00"),
        (date(2026, 7, 1), "3750.00"),
        (date(2026, 10, 1), "3750.00"),
    ]
    row = BillingScheduleLine.objects.filter(contract_line=new_line).first()
    assert row.explanation["formula"] == (
        "10 × $1,500.00 = $15,000.00 a year × 3/4 year = $11,250.00; − billed $0.00 = $11,250.00"
    )
    assert row.explanation["share"] == "25% of the 75% left"
    # The plan totals the new contract value: 3,000.00 + 11,250.00 = 14,250.00.
    assert contract_value(contract) == D("14250.00")


@freeze_time("2026-07-20 12:00")
def test_a_seat_increase_after_a_billed_installment_credits_the_old_terms_on_the_next(client):
    contract = plan_contract()
    for day in (date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)):
        bill(day)  # 9,000.00 billed
    line = contract.lines.get()

    # From 1 August, 15 seats.
    body = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="15",
        effective_date="2026-08-01",
    ).json()
    # Old line: 12,000.00 x 7/12 year (January - July) = 7,000.00; billed 9,000.00:
    # 2,000.00 billed beyond its value, credited on the next invoice (1 October).
    [credit] = body["credit_lines"]
    assert (credit["amount"], credit["billing_date"]) == ("-2000.00", "2026-10-01")
    assert credit["explanation"]["formula"] == (
        "10 × $1,200.00 = $12,000.00 a year × 7/12 year = $7,000.00; − billed $9,000.00 = "
        "-$2,000.00"
    )
    # New line: 15 x 1,200.00 = 18,000.00 x 5/12 year = 7,500.00, all on 1 October.
    new_line = ContractLine.objects.get(pk=body["new_line"])
    assert pending(new_line) == [(date(2026, 10, 1), "7500.00")]
    # 1 October: 7,500.00 - 2,000.00 = 5,500.00; value 9,000.00 + 5,500.00 = 14,500.00
    # = 7,000.00 + 7,500.00.
    bill(date(2026, 10, 1))
    october = Invoice.objects.get(contract=contract, invoice_date=date(2026, 10, 1))
    assert october.total_amount == D("5500.00")
    assert contract_value(contract) == D("14500.00")


@freeze_time("2026-10-20 12:00")
def test_a_credit_beyond_what_is_left_to_bill_or_no_proration_is_refused_and_saves_nothing(
    client,
):
    contract = plan_contract()
    for month in (1, 4, 7, 10):
        bill(date(2026, month, 1))  # all 12,000.00 billed
    line = contract.lines.get()
    rows = BillingScheduleLine.objects.filter(contract=contract).count()

    # 5 seats from 1 November: the old line is worth 10,000.00 (10/12 year) and was
    # billed 12,000.00 (credit 2,000.00); the new one 6,000.00 x 2/12 = 1,000.00, with no
    # plan date left (a debit). Net -1,000.00: no invoice can carry it; a credit note on
    # the invoice that billed it is the way (as Zuora: a negative invoice is not issued).
    answer = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="5",
        effective_date="2026-11-01",
        proration_behavior="invoice_now",
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == (
        "proration_behavior",
        "net_credit_not_invoiceable",
    )
    # The plan refuses "no proration", so the refusal does not suggest it.
    assert "no proration" not in answer.json()["message"]
    none = change(
        client,
        contract,
        kind="quantity",
        line=line.pk,
        quantity="5",
        effective_date="2026-11-01",
        proration_behavior="none",
    )
    assert (none.json()["field"], none.json()["code"]) == ("proration_behavior", "out_of_range")
    assert not ContractChange.objects.filter(contract=contract).exists()
    assert BillingScheduleLine.objects.filter(contract=contract).count() == rows
    assert ContractLine.objects.get(pk=line.pk).service_end in (None, date(2026, 12, 31))


@freeze_time("2026-07-20 12:00")
def test_the_console_page_takes_a_change_on_a_plan_and_names_the_field_it_refuses(client):
    contract = plan_contract()
    for day in (date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)):
        bill(day)
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    url = f"/billing/contracts/{contract.pk}/change-orders/"
    form = {
        "kind": "quantity",
        "line": contract.lines.get().pk,
        "effective_date": "2026-08-01",
        "quantity": "15",
        "proration_behavior": "none",
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert 'id="error-proration_behavior"' in refused.content.decode()
    assert not ContractChange.objects.exists()
    answer = client.post(url, {**form, "proration_behavior": "next_invoice"}, follow=True)
    assert answer.status_code == 200
    assert "−$2,000.00" in answer.content.decode() or "-$2,000.00" in answer.content.decode()
    assert ContractChange.objects.filter(contract=contract).count() == 1
