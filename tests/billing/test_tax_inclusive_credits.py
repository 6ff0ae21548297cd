"""Credits by line on a tax-inclusive invoice, through the API: the amount typed is what the
customer gets back (gross), split into net and tax by the invoice's (its seller's) rule."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingRun, CreditNote, Invoice
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from ordermgmt import roles
from tests.factories import (
    ProductFactory,
    TaxRateFactory,
    UserFactory,
    active_contract,
    billable_account,
    line_input,
    seller_rounds_tax,
)

pytestmark = pytest.mark.django_db
D = Decimal


def inclusive_invoice(gross_prices, rule="total"):
    """Issued invoice of one annual line per gross price, German buyer at 19 %."""
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    product = ProductFactory()
    seller_rounds_tax(rule)
    active_contract(
        account=billable_account(billing_country="DE"),
        currency="EUR",
        prices_include_tax=True,
        lines=[line_input(product, quantity=D(1), unit_price=D(p)) for p in gross_prices],
    )
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    (draft,) = Invoice.objects.filter(status="draft")
    return issue_invoice(invoice=draft, actor=None)


def credit_lines(client, invoice, lines):
    client.force_login(UserFactory(role=roles.FINANCE))
    return client.post(
        f"/api/v1/invoices/{invoice.pk}/credit-notes/",
        {
            "reason": "Seats returned",
            "lines": [{"invoice_line": line.pk, "amount": amount} for line, amount in lines],
        },
        content_type="application/json",
    )


def test_a_gross_typed_on_a_line_is_what_the_customer_gets_back_and_the_balance_drops_by_it(
    client,
):
    # Three lines of 10.00 EUR gross at 19 %, per-rate rule: the invoice split them
    # 8.40 + 1.60, 8.40 + 1.60, 8.41 + 1.59 (total 30.00).
    # 5.00 typed on the first line is gross: net = round(5.00 / 1.19 = 4.2017) = 4.20,
    # tax = 5.00 - 4.20 = 0.80. (Taken as net, as before, it would have credited
    # 5.00 + 0.95 tax = 5.95.) The open balance goes from 30.00 to 25.00.
    invoice = inclusive_invoice(["10.00"] * 3)
    first = invoice.lines.order_by("position").first()
    answer = credit_lines(client, invoice, [(first, "5.00")])
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["lines"][0]["amount"], body["lines"][0]["tax_amount"]) == ("4.20", "0.80")
    assert (body["subtotal_amount"], body["tax_amount"], body["total_amount"]) == (
        "4.20",
        "0.80",
        "5.00",
    )
    invoice.refresh_from_db()
    assert invoice.open_amount == D("25.00")


def test_grosses_typed_on_several_lines_are_split_together_by_the_per_rate_rule(client):
    # 3.00 on each of lines 2 and 3, per rate: 6.00 / 1.19 = 5.0420 -> net 5.04, tax 0.96;
    # exact taxes 0.4790 each, floors 0.47 + 0.47 = 0.94, the 2 cents left go one to each:
    # 2.52 + 0.48 per line. Net + tax of the note = 6.00, the amounts typed.
    invoice = inclusive_invoice(["10.00"] * 3)
    _, second, third = invoice.lines.order_by("position")
    answer = credit_lines(client, invoice, [(second, "3.00"), (third, "3.00")])
    assert answer.status_code == 201, answer.json()
    note = CreditNote.objects.get(pk=answer.json()["id"])
    assert sorted((ln.amount, ln.tax_amount) for ln in note.lines.all()) == [
        (D("2.52"), D("0.48")),
        (D("2.52"), D("0.48")),
    ]
    assert note.subtotal_amount + note.tax_amount == note.total_amount == D("6.00")
    invoice.refresh_from_db()
    assert invoice.open_amount == D("24.00")


def test_a_cent_of_tax_the_line_no_longer_has_moves_to_net_so_net_plus_tax_stays_typed(client):
    # The third line carries 8.41 + 1.59 (the rule gave it the smaller tax). 9.99 gross
    # split on its own: net round(9.99 / 1.19 = 8.3950) = 8.39, tax 1.60, one cent more tax
    # than the line has. The cent moves to net: 8.40 + 1.59 = 9.99, and the line keeps
    # 0.01 net, 0.00 tax: neither side of the line goes below zero.
    invoice = inclusive_invoice(["10.00"] * 3)
    third = invoice.lines.order_by("position").last()
    answer = credit_lines(client, invoice, [(third, "9.99")])
    assert answer.status_code == 201, answer.json()
    line = answer.json()["lines"][0]
    assert (line["amount"], line["tax_amount"]) == ("8.40", "1.59")
    rest = credit_lines(client, invoice, [(third, "0.01")])
    assert rest.status_code == 201, rest.json()
    assert (rest.json()["lines"][0]["amount"], rest.json()["lines"][0]["tax_amount"]) == (
        "0.01",
        "0.00",
    )
    invoice.refresh_from_db()
    assert invoice.open_amount == D("20.00")


def test_a_gross_above_what_the_line_has_left_is_refused_naming_the_line(client):
    invoice = inclusive_invoice(["10.00"] * 3)
    first = invoice.lines.order_by("position").first()
    answer = credit_lines(client, invoice, [(first, "10.01")])
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == ("lines[0].amount", "exceeds_line")
    assert CreditNote.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.open_amount == D("30.00")


def test_the_api_schema_says_a_line_amount_is_gross_on_a_tax_inclusive_invoice(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    schema = client.get("/api/v1/schema/?format=json").json()
    schemas = schema["components"]["schemas"]
    line_input = next(v for k, v in schemas.items() if k.startswith("InvoiceCreditLineInput"))
    assert "Tax-inclusive invoice: the gross" in line_input["properties"]["amount"]["description"]
