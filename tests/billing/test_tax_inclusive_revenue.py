"""Revenue of a tax-inclusive contract reconciles to the net actually invoiced, to the cent:
each issued invoice trues the transaction price up to its net (606-10-32-43, caught up on
the invoice date), so at the term's end recognised == billed net and the balance is 0."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingRun, Invoice, TaxRate
from billing.revenue.models import AllocationReason, RevenueAllocation
from billing.revenue.selectors.balances import contract_balance
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from billing.services.tax import net_of_included_tax
from tests.factories import (
    ProductFactory,
    ProductPriceFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
    seller_rounds_tax,
)

pytestmark = pytest.mark.django_db
D = Decimal
MONTHS = [date(2026, month, 1) for month in range(1, 13)]


def bill_and_issue(run_date: date) -> list[Invoice]:
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    drafts = Invoice.objects.filter(status="draft", invoice_date=run_date).order_by("id")
    return [issue_invoice(invoice=draft, actor=None) for draft in drafts]


def priced_product(ssp: str):
    product = ProductFactory()
    ProductPriceFactory(
        product=product,
        currency="EUR",
        standalone_selling_price=D(ssp),
        list_price=D(ssp),
        prices_include_tax=True,
    )
    return product


def monthly_contract(rule: str, annual_grosses: list[str]):
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    seller_rounds_tax(rule)
    return active_contract(
        account=billable_account(billing_country="DE"),
        currency="EUR",
        billing_frequency="monthly",
        prices_include_tax=True,
        lines=[
            line_input(priced_product(gross), quantity=D(1), unit_price=D(gross))
            for gross in annual_grosses
        ],
    )


def current_price(contract) -> Decimal:
    return RevenueAllocation.objects.get(contract=contract, is_current=True).transaction_price


def test_twelve_monthly_invoices_under_the_per_rate_rule_are_recognised_to_the_cent():
    # Two lines of 120.00 and 60.00 EUR gross a year, billed monthly at 19 %: 10.00 and
    # 5.00 gross a month. Each line's own net rounds down, 10.00 / 1.19 = 8.4034 -> 8.40
    # and 5.00 / 1.19 = 4.2017 -> 4.20 (12.60), but per rate each invoice rounds the net of
    # the sum once: 15.00 / 1.19 = 12.6050 -> 12.61. So every month invoices a cent more
    # net than the per-line estimate, 12 x 12.61 = 151.32 in all, and the year converted
    # at once (the old way) gives 100.84 + 50.42 = 151.26, 6 cents short. Each invoice
    # trues the price up by its cent (a re-estimate, caught up on its date); by
    # 31 December recognised = billed = 151.32 and no contract asset or liability is left.
    contract = monthly_contract("total", ["120.00", "60.00"])
    old_way = sum((net_of_included_tax(D(g), D(19), "EUR") for g in ["120.00", "60.00"]), D(0))
    assert old_way == D("151.26")
    assert current_price(contract) == D("151.20")  # 12 x (8.40 + 4.20), per line
    invoices = [invoice for month in MONTHS for invoice in bill_and_issue(month)]
    assert [invoice.subtotal_amount for invoice in invoices] == [D("12.61")] * 12
    assert sum((invoice.total_amount for invoice in invoices), D(0)) == D("180.00")
    assert current_price(contract) == D("151.32")
    true_ups = RevenueAllocation.objects.filter(
        contract=contract, reason=AllocationReason.REESTIMATE
    )
    assert sorted(true_ups.values_list("effective_date", flat=True)) == MONTHS
    balance = contract_balance(contract, date(2026, 12, 31))
    assert (balance.billed, balance.recognised) == (D("151.32"), D("151.32"))
    assert balance.net_position == 0


def test_a_rate_change_mid_term_is_recognised_at_the_rates_invoiced():
    # 1,428.00 EUR gross a year, monthly: 119.00 gross a month. January to June at 19 %:
    # net 100.00 a month, 600.00. On 1 July the rate drops to 16 % (announced after the
    # contract started, as Germany's 2020 cut was): 119.00 / 1.16 = 102.5862 -> 102.59 a
    # month, 615.54 for July to December. Revenue built at inception assumed 19 % all year
    # (1,200.00); the July invoice trues it up to what the invoices will say, and by
    # 31 December recognised = billed = 1,215.54 and the balance is 0.
    contract = monthly_contract("line", ["1428.00"])
    assert current_price(contract) == D("1200.00")
    for month in MONTHS[:6]:
        bill_and_issue(month)
    TaxRate.objects.filter(country="DE").update(effective_to=date(2026, 6, 30))
    TaxRateFactory(
        country="DE", name="Umsatzsteuer", percent=D("16"), effective_from=date(2026, 7, 1)
    )
    (july,) = bill_and_issue(MONTHS[6])
    assert (july.subtotal_amount, july.tax_amount) == (D("102.59"), D("16.41"))
    assert current_price(contract) == D("1215.54")
    trued_up = RevenueAllocation.objects.get(contract=contract, is_current=True)
    assert (trued_up.reason, trued_up.effective_date) == (
        AllocationReason.REESTIMATE,
        date(2026, 7, 1),
    )
    for month in MONTHS[7:]:
        bill_and_issue(month)
    balance = contract_balance(contract, date(2026, 12, 31))
    assert (balance.billed, balance.recognised) == (D("1215.54"), D("1215.54"))
    assert balance.net_position == 0
