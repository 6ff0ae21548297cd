"""Tax-inclusive contracts through the API: the flag and its rule on the contract, the
price book's basis, the refusal to switch an active contract's basis, change-order
proration lines split like any line, and revenue net of tax."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time

from billing.models import BillingRun, Invoice
from billing.revenue.models import RevenueAllocation
from billing.revenue.selectors.balances import contract_balance
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from ordermgmt import roles
from ordermgmt.models import Contract
from tests.factories import (
    AccountFactory,
    ProductFactory,
    ProductPriceFactory,
    TaxRateFactory,
    UserFactory,
    active_contract,
    billable_account,
    line_input,
    make_contract,
    seller_rounds_tax,
)

pytestmark = pytest.mark.django_db
D = Decimal


def bill(run_date: date) -> list[Invoice]:
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return list(Invoice.objects.filter(status="draft", invoice_date=run_date).order_by("id"))


def german_buyer():
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    return billable_account(billing_country="DE")


def login(client, role=roles.ORDER_SPECIALIST):
    client.force_login(UserFactory(role=role))


def payload(**overrides):
    values = {
        "name": "Gross-priced deal",
        "account": AccountFactory(billing_country="DE").pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "EUR",
        "prices_include_tax": True,
        "lines": [{"product": ProductFactory().pk, "quantity": "3", "unit_price": "10.00"}],
    }
    values.update(overrides)
    return values


def test_the_api_creates_a_tax_inclusive_contract_and_shows_its_basis(client):
    login(client)
    answer = client.post("/api/v1/contracts/", payload(), content_type="application/json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["prices_include_tax"] is True
    # How net and tax are split is the seller's rule (legal entity tax_rounding), not the
    # contract's: a contract carries no rule of its own that billing would ignore.
    assert "inclusive_tax_rounding" not in body
    assert Contract.objects.get(pk=body["id"]).prices_include_tax


def test_a_contract_whose_basis_differs_from_its_price_book_is_refused(client):
    # The product's EUR list price includes tax; a tax-exclusive contract would compare a
    # net unit price with a gross list price. Refused, field named, nothing saved.
    product = ProductFactory()
    ProductPriceFactory(product=product, currency="EUR", prices_include_tax=True)
    login(client)
    answer = client.post(
        "/api/v1/contracts/",
        payload(
            prices_include_tax=False,
            lines=[{"product": product.pk, "quantity": "1", "unit_price": "100"}],
        ),
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == (
        "prices_include_tax",
        "tax_basis_mismatch",
    )
    assert Contract.objects.count() == 0


def test_a_draft_contracts_tax_basis_changes_through_its_endpoint(client):
    contract = make_contract(currency="EUR")
    login(client)
    answer = client.post(
        f"/api/v1/contracts/{contract.pk}/tax-basis/",
        {"prices_include_tax": True},
        content_type="application/json",
    )
    assert answer.status_code == 200, answer.json()
    contract.refresh_from_db()
    assert contract.prices_include_tax
    assert contract.history.first().history_change_reason == "contract.tax_basis_changed"


def test_switching_an_active_contract_with_issued_invoices_is_refused_and_changes_nothing(client):
    # Decision: the basis is fixed once the contract is active. Its schedule, its revenue
    # (allocated net of tax at activation) and its issued invoices were all made on it.
    contract = active_contract(
        account=german_buyer(),
        currency="EUR",
        prices_include_tax=True,
        lines=[line_input(quantity=D(1), unit_price=D("119.00"))],
    )
    (draft,) = bill(date(2026, 1, 1))
    issue_invoice(invoice=draft, actor=None)
    login(client)
    url = f"/api/v1/contracts/{contract.pk}/tax-basis/"
    refused = client.post(
        url,
        {"prices_include_tax": False},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert (refused.json()["field"], refused.json()["code"]) == (
        "prices_include_tax",
        "tax_basis_locked",
    )
    assert "1 issued invoice" in refused.json()["message"]
    contract.refresh_from_db()
    assert contract.prices_include_tax


def test_revenue_of_a_tax_inclusive_contract_is_net_and_reconciles_to_the_invoice():
    # 3 lines of 10.00 EUR gross at 19 % (per line: 8.40 net each). ASC 606 revenue is net
    # of the tax collected: the transaction price is 3 x 8.40 = 25.20, not 30.00, and at
    # the term's end recognised (25.20) equals billed net (25.20): no asset, no liability.
    seller_rounds_tax("line")
    product = ProductFactory()
    ProductPriceFactory(
        product=product,
        currency="EUR",
        standalone_selling_price=D("10"),
        list_price=D("10"),
        prices_include_tax=True,
    )
    contract = active_contract(
        account=german_buyer(),
        currency="EUR",
        prices_include_tax=True,
        lines=[line_input(product, quantity=D(1), unit_price=D("10.00")) for _ in range(3)],
    )
    (draft,) = bill(date(2026, 1, 1))
    invoice = issue_invoice(invoice=draft, actor=None)
    assert (invoice.subtotal_amount, invoice.total_amount) == (D("25.20"), D("30.00"))
    allocation = RevenueAllocation.objects.get(contract=contract, is_current=True)
    assert allocation.transaction_price == D("25.20")
    balance = contract_balance(contract, date(2026, 12, 31))
    assert (balance.billed, balance.recognised) == (D("25.20"), D("25.20"))
    assert balance.net_position == 0


@freeze_time("2026-11-16 12:00")
def test_an_upgrade_of_a_tax_inclusive_contract_splits_its_proration_lines_too(client):
    # Monthly plan, 10 seats x 1,428.00 EUR gross a year = 14,280.00 a year = 1,190.00 a
    # month, gross. On 16 November (15 of November's 30 days left) it goes to 20 seats:
    #   credit  -10 x 1,428.00 / 12 x 15/30 =   -595.00 gross -> net  -500.00, tax  -95.00
    #   debit    20 x 1,428.00 / 12 x 15/30 = 1,190.00 gross -> net 1,000.00, tax 190.00
    #   December, 20 seats                  = 2,380.00 gross -> net 2,000.00, tax 380.00
    # (each /1.19 exactly). The 1 December invoice totals the gross: 2,975.00.
    contract = active_contract(
        account=german_buyer(),
        currency="EUR",
        billing_frequency="monthly",
        prices_include_tax=True,
        lines=[line_input(quantity=D(10), unit_price=D("1428.00"))],
    )
    bill(date(2026, 11, 1))
    login(client)
    answer = client.post(
        f"/api/v1/contracts/{contract.pk}/change-orders/",
        {
            "kind": "quantity",
            "line": contract.lines.get().pk,
            "quantity": "20",
            "effective_date": "2026-11-16",
            "proration_behavior": "next_invoice",
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    (december,) = bill(date(2026, 12, 1))
    split = sorted((line.amount, line.tax_amount) for line in december.lines.all())
    assert split == [
        (D("-500.00"), D("-95.00")),
        (D("1000.00"), D("190.00")),
        (D("2000.00"), D("380.00")),
    ]
    assert (december.subtotal_amount, december.tax_amount, december.total_amount) == (
        D("2500.00"),
        D("475.00"),
        D("2975.00"),
    )


def test_the_admin_form_sets_the_basis_and_refuses_a_line_against_its_price_book(
    client, specialist
):
    from django.urls import reverse

    from tests.ordermgmt.test_contract_validation import admin_contract_post

    client.force_login(specialist)
    product = ProductFactory()
    ProductPriceFactory(product=product, currency="USD", prices_include_tax=True)
    url = reverse("admin:ordermgmt_contract_add")
    refused = client.post(url, admin_contract_post(AccountFactory(), product))
    assert refused.status_code == 200
    assert "prices include tax but this contract" in refused.content.decode()
    assert Contract.objects.count() == 0
    done = client.post(
        url,
        admin_contract_post(
            AccountFactory(),
            product,
            prices_include_tax="on",
        ),
    )
    assert done.status_code == 302
    assert Contract.objects.get().prices_include_tax


def test_a_swap_to_a_product_priced_with_tax_on_a_tax_exclusive_contract_is_refused(client):
    # The new product's EUR list price includes tax; the contract's prices exclude it, so
    # taking that list price as the new unit price would bill tax on tax. Nothing changes.
    contract = active_contract(account=german_buyer(), currency="EUR")
    gross_priced = ProductFactory()
    ProductPriceFactory(product=gross_priced, currency="EUR", prices_include_tax=True)
    login(client)
    answer = client.post(
        f"/api/v1/contracts/{contract.pk}/change-orders/",
        {
            "kind": "swap",
            "line": contract.lines.get().pk,
            "product": gross_priced.pk,
            "effective_date": "2026-01-01",
            "proration_behavior": "none",
        },
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == ("product", "tax_basis_mismatch")
    assert contract.lines.count() == 1


def test_the_catalog_api_records_whether_a_price_includes_tax(client):
    product = ProductFactory()
    login(client, roles.FINANCE)
    answer = client.post(
        "/api/v1/product-prices/",
        {
            "product": product.pk,
            "currency": "EUR",
            "standalone_selling_price": "119.00",
            "list_price": "119.00",
            "prices_include_tax": True,
        },
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.json()
    assert answer.json()["prices_include_tax"] is True
    assert product.prices.get().prices_include_tax is True
