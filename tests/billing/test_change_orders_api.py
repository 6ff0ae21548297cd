"""Change orders over the API, each a worked example on PostgreSQL.

The contracts here bill 10 seats at USD 1,200.00 a seat a year (USD 12,000.00 a year),
net of tax (a 0 % rate), on a calendar-year term. Each test says, step by step, which
days are credited at the old terms and debited at the new ones, and by which fraction of
the billing period (actual/actual days unless it says otherwise)."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingScheduleLine, Invoice, InvoiceLine
from ordermgmt import roles
from ordermgmt.models import ContractChange, ContractLine
from tests.billing.change_order_helpers import bill, change
from tests.factories import ProductPriceFactory, UserFactory, active_contract, line_input

pytestmark = pytest.mark.django_db


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


@freeze_time("2026-07-01 12:00")
def test_a_seat_decrease_on_an_annual_plan_nets_on_the_next_annual_invoice(client):
    # A two-year annual plan, billed 12,000.00 on 1 January 2026 for all of 2026.
    contract = active_contract(end_date=date(2027, 12, 31))
    bill(date(2026, 1, 1))
    line = only_line(contract)

    # From 1 July 2026 the customer keeps 6 seats. The billed year has 365 days;
    # 1 July - 31 December is 184 of them.
    body = change(
        client, contract, kind="quantity", line=line.pk, quantity="6", effective_date="2026-07-01"
    ).json()

    # Credit: 12,000.00 a year x 12/12 year x 184/365 days = 6,049.315... -> 6,049.32.
    [credit] = body["credit_lines"]
    assert (credit["amount"], credit["period_start"]) == ("-6049.32", "2026-07-01")
    assert credit["explanation"]["days"] == 184 and credit["explanation"]["period_days"] == 365
    # Debit: 6 x 1,200.00 = 7,200.00 a year x 184/365 = 3,629.589... -> 3,629.59.
    [debit] = body["debit_lines"]
    assert (debit["amount"], debit["period_end"]) == ("3629.59", "2026-12-31")
    # Both go on the next invoice, 1 January 2027, beside 2027 at 6 seats (7,200.00):
    #   7,200.00 - 6,049.32 + 3,629.59 = 4,780.27.
    assert credit["billing_date"] == debit["billing_date"] == "2027-01-01"
    with freeze_time("2027-01-01 12:00"):
        bill(date(2027, 1, 1))
    renewal = invoice_on(contract, date(2027, 1, 1))
    assert sorted(amounts(renewal)) == sorted(["7200.00", "-6049.32", "3629.59"])
    assert renewal.total_amount == Decimal("4780.27")


@freeze_time("2026-06-10 12:00")
def test_a_price_change_from_the_first_of_an_invoiced_month_needs_the_backdating_flag(client):
    # Monthly, 1,000.00 a month; June was invoiced on 1 June. On 10 June finance agrees a
    # new price of 1,080.00 a seat a year from 1 June: June is in the past and invoiced.
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 6, 1))
    line = only_line(contract)
    before = BillingScheduleLine.objects.filter(contract=contract).count()
    body = {"kind": "price", "line": line.pk, "unit_price": "1080", "effective_date": "2026-06-01"}

    refused = change(client, contract, **body)
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == (
        "effective_date",
        "backdated_change",
    )
    assert "2026-06-30" in refused.json()["message"]  # invoiced through the end of June
    without_reason = change(client, contract, allow_backdated=True, **body)
    assert (without_reason.json()["field"], without_reason.json()["code"]) == (
        "reason",
        "required",
    )
    assert not ContractChange.objects.exists()
    assert BillingScheduleLine.objects.filter(contract=contract).count() == before

    answer = change(client, contract, allow_backdated=True, reason="Price agreed on 1 June", **body)
    assert answer.status_code == 201
    assert answer.json()["backdated"] is True
    # June was billed whole, so the credit is the whole billed amount, 1,000.00, and the
    # debit is June at the new price: 10 x 1,080.00 = 10,800.00 a year x 1/12 = 900.00.
    assert [c["amount"] for c in answer.json()["credit_lines"]] == ["-1000.00"]
    assert [d["amount"] for d in answer.json()["debit_lines"]] == ["900.00"]
    # The July invoice: July at the new price (900.00) - 1,000.00 + 900.00 = 800.00.
    with freeze_time("2026-07-01 12:00"):
        bill(date(2026, 7, 1))
    assert invoice_on(contract, date(2026, 7, 1)).total_amount == Decimal("800.00")


@freeze_time("2026-03-11 12:00")
def test_a_swap_invoiced_now_bills_the_difference_on_a_draft_at_once(client):
    # Monthly, Standard at 1,000.00 a month, March invoiced on 1 March. On 11 March the
    # customer moves to Premium (list price 1,800.00 a seat a year, 1,500.00 a month).
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 3, 1))
    line = only_line(contract)
    premium = ProductPriceFactory(list_price=Decimal("1800")).product

    answer = change(
        client,
        contract,
        kind="swap",
        line=line.pk,
        product=premium.pk,
        effective_date="2026-03-11",
        proration_behavior="invoice_now",
    )
    assert answer.status_code == 201, answer.json()
    # 11-31 March is 21 of 31 days.
    # Credit: 12,000.00 a year x 1/12 x 21/31 = 677.419... -> 677.42.
    # Debit:  18,000.00 a year x 1/12 x 21/31 = 1,016.129... -> 1,016.13.
    [credit], [debit] = answer.json()["credit_lines"], answer.json()["debit_lines"]
    assert (credit["amount"], debit["amount"]) == ("-677.42", "1016.13")
    # Invoiced now: a draft dated today with both lines, net 338.71.
    draft = Invoice.objects.get(contract=contract, invoice_date=date(2026, 3, 11))
    assert draft.status == "draft" and draft.total_amount == Decimal("338.71")
    assert credit["invoice"] == debit["invoice"] == draft.pk
    # From April the new product bills its whole month: 1,500.00.
    with freeze_time("2026-04-01 12:00"):
        bill(date(2026, 4, 1))
    april = invoice_on(contract, date(2026, 4, 1))
    assert amounts(april) == ["1500.00"]
    assert april.lines.get().contract_line.product == premium


@freeze_time("2026-12-05 12:00")
def test_a_term_extension_debits_the_rest_of_a_stub_period_and_adds_new_periods(client):
    # Monthly, ending on 15 December: 1-15 December was billed as a stub of 15/31 days,
    #   12,000.00 a year x 1/12 x 15/31 = 483.87.
    contract = active_contract(billing_frequency="monthly", end_date=date(2026, 12, 15))
    bill(date(2026, 12, 1))
    assert BillingScheduleLine.objects.get(
        contract=contract, period_start=date(2026, 12, 1)
    ).amount == Decimal("483.87")

    answer = change(client, contract, kind="term", new_end_date="2027-01-31")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["previous_end_date"], body["new_end_date"]) == ("2026-12-15", "2027-01-31")
    # December is now a whole month on the grid; its unbilled 16-31 December (16/31 days)
    # is debited: 12,000.00 x 1/12 x 16/31 = 516.129... -> 516.13 (483.87 + 516.13 =
    # 1,000.00, the whole month). Nothing is credited.
    assert body["credit_lines"] == []
    [debit] = body["debit_lines"]
    assert (debit["amount"], debit["period_start"], debit["period_end"]) == (
        "516.13",
        "2026-12-16",
        "2026-12-31",
    )
    # January 2027 is a new whole period, billed on its own date with the debit.
    with freeze_time("2027-01-01 12:00"):
        bill(date(2027, 1, 1))
    january = invoice_on(contract, date(2027, 1, 1))
    assert sorted(amounts(january)) == ["1000.00", "516.13"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (
            {"effective_date": "2027-02-01", "quantity": "20"},
            "effective_date",
            "outside_contract_term",
        ),
        ({"effective_date": "2026-11-16", "quantity": "-1"}, "quantity", "negative_quantity"),
        (
            {"effective_date": "2026-11-16", "quantity": "20", "currency": "EUR"},
            "currency",
            "currency_mismatch",
        ),
    ],
)
@freeze_time("2026-11-16 12:00")
def test_a_bad_change_is_refused_with_its_field_and_saves_nothing(client, body, field, code):
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 11, 1))
    line = only_line(contract)
    schedule = list(BillingScheduleLine.objects.filter(contract=contract).values())
    answer = change(client, contract, kind="quantity", line=line.pk, **body)
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == (field, code)
    assert not ContractChange.objects.exists()
    assert list(BillingScheduleLine.objects.filter(contract=contract).values()) == schedule
    assert ContractLine.objects.get(pk=line.pk).service_end is None
    assert contract.lines.count() == 1


@freeze_time("2026-11-16 12:00")
def test_a_change_on_a_cancelled_contract_is_refused(client):
    from ordermgmt.services import cancel_contract

    contract = active_contract(billing_frequency="monthly")
    cancel_contract(contract=contract, actor=None, comment="Lost")
    answer = change(
        client,
        contract,
        kind="quantity",
        line=only_line(contract).pk,
        quantity="20",
        effective_date="2026-11-16",
    )
    assert (answer.json()["field"], answer.json()["code"]) == ("contract", "contract_not_active")
    assert not ContractChange.objects.exists() and contract.lines.count() == 1


@freeze_time("2026-11-16 12:00")
def test_no_proration_leaves_the_billed_month_alone_and_starts_the_new_terms_next_month(client):
    contract = active_contract(billing_frequency="monthly")
    bill(date(2026, 11, 1))
    body = change(
        client,
        contract,
        kind="quantity",
        line=only_line(contract).pk,
        quantity="20",
        effective_date="2026-11-16",
        proration_behavior="none",
    ).json()
    assert body["credit_lines"] == [] and body["debit_lines"] == []
    bill(date(2026, 12, 1))
    assert amounts(invoice_on(contract, date(2026, 12, 1))) == ["2000.00"]


@freeze_time("2026-11-16 12:00")
def test_removing_a_line_credits_its_unused_time_and_bills_nothing_after(client):
    # Seats (1,000.00 a month) and support (600.00 a year = 50.00 a month). Support ends
    # on 16 November: 15/30 of November's 50.00 is credited, 25.00, on the 1 December
    # invoice, which bills only the seats from then on: 1,000.00 - 25.00 = 975.00.
    contract = active_contract(
        billing_frequency="monthly",
        lines=[line_input(), line_input(quantity=Decimal("1"), unit_price=Decimal("600"))],
    )
    bill(date(2026, 11, 1))
    support = contract.lines.order_by("id").last()
    body = change(
        client, contract, kind="remove", line=support.pk, effective_date="2026-11-16"
    ).json()
    assert [c["amount"] for c in body["credit_lines"]] == ["-25.00"]
    assert body["debit_lines"] == [] and body["new_line"] is None
    assert not BillingScheduleLine.objects.filter(
        contract_line=support, status="pending", kind="recurring"
    ).exists()
    bill(date(2026, 12, 1))
    assert invoice_on(contract, date(2026, 12, 1)).total_amount == Decimal("975.00")


def test_the_change_order_endpoint_is_documented_in_the_schema(client):
    client.force_login(UserFactory(role=roles.AUDITOR))
    schema = client.get("/api/v1/schema/?format=json").json()
    operations = schema["paths"]["/api/v1/contracts/{contract_id}/change-orders/"]
    assert {"get", "post"} <= set(operations)
    request = operations["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][request["$ref"].rsplit("/", 1)[1]]
    assert {"kind", "effective_date", "proration_behavior", "allow_backdated"} <= set(
        component["properties"]
    )
    assert "201" in operations["post"]["responses"] and "400" in operations["post"]["responses"]


def test_only_roles_that_may_change_contracts_make_change_orders(client):
    contract = active_contract(billing_frequency="monthly")
    client.force_login(UserFactory(role=roles.FINANCE))
    url = f"/api/v1/contracts/{contract.pk}/change-orders/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"kind": "remove"}, content_type="application/json")
    assert refused.status_code == 403
