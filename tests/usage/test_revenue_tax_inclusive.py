"""ASC 606 usage revenue of a tax-inclusive contract: the rate card is gross, revenue is
net of the tax it includes (taxes collected for authorities are not revenue), split as the
invoice splits it, and equal to the net invoiced once the period is invoiced."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceStatus
from billing.revenue.selectors import contract_balance
from billing.revenue.selectors.reports import revenue_waterfall
from billing.services import issue_invoice
from billing.usage.revenue import usage_revenue_events
from ordermgmt.models import Contract
from tests.factories import TaxRateFactory, billable_account, seller_rounds_tax
from tests.usage.factories import ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def tasks_run_in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # usage rollups run at once, no worker here


def inclusive_contract(rule):
    # Graduated tiers 0-1,000 calls at 0.10 and above at 0.08 EUR, gross (VAT included).
    seller_rounds_tax(rule)
    return usage_contract(
        pricing_model="graduated",
        account=billable_account(billing_country="DE"),
        currency="EUR",
        prices_include_tax=True,
    )


def bill_and_issue(*run_dates):
    for run_date in run_dates:
        run_billing(run_date)
        for invoice in Invoice.objects.filter(status=InvoiceStatus.DRAFT).order_by("pk"):
            issue_invoice(invoice=invoice, actor=None)


def positions(contract, *days):
    rows = [contract_balance(contract, day) for day in days]
    return [(row.billed, row.recognised, row.net_position) for row in rows]


def waterfall_months(contract, as_of, months=3):
    waterfall = revenue_waterfall(
        as_of=as_of, currency="EUR", start=date(2026, 1, 1), months=months
    )
    (row,) = [r for r in waterfall.rows if r.contract_id == contract.pk]
    return row.months


def usage_revenue(contract, as_of):
    contracts = Contract.objects.filter(pk=contract.pk)
    return [
        (day, amount)
        for _, _, day, amount in usage_revenue_events(as_of=as_of, contracts=contracts)
    ]


def test_usage_revenue_is_the_net_split_per_line_and_reconciles_to_the_invoices():
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    contract = inclusive_contract("line")
    # January: 1,500 calls. Tier 1: 1,000 x 0.10 = 100.00 gross; tier 2: 500 x 0.08 =
    # 40.00 gross. Per line, net = round(gross / 1.19): 84.0336 -> 84.03 and 33.6134 ->
    # 33.61, net 117.64. Splitting the total instead would give round(140.00 / 1.19) =
    # round(117.647) = 117.65: this month the per-line rounding differs by a cent, and
    # revenue follows the invoice's rule (117.64), not the gross (140.00).
    # February: 2,000 calls. 100.00 + 1,000 x 0.08 = 80.00 gross; nets 84.03 + 67.23
    # (67.2269) = 151.26, the same as round(180.00 / 1.19) = 151.26.
    ingest_usage(contract, ((1, 5), 900), ((1, 20), 600), ((2, 10), 2000))
    # Before any invoice: January's revenue is the estimate, already net per line.
    assert usage_revenue(contract, date(2026, 1, 31)) == [(date(2026, 1, 31), D("117.64"))]
    bill_and_issue(date(2026, 2, 1), date(2026, 3, 1))
    invoiced = [
        sorted(ln.amount for ln in invoice.lines.all())
        for invoice in Invoice.objects.filter(contract=contract).order_by("invoice_date")
    ]
    assert invoiced == [[D("33.61"), D("84.03")], [D("67.23"), D("84.03")]]
    # The estimate was the invoice's split: no true-up; revenue in the month consumed.
    assert waterfall_months(contract, date(2026, 3, 1)) == [D("117.64"), D("151.26"), D("0")]
    # 31 Jan: 117.64 earned, nothing billed (unbilled); 1 Mar: billed 117.64 + 151.26 =
    # 268.90 net = recognised, nothing left.
    assert positions(contract, date(2026, 1, 31), date(2026, 3, 1)) == [
        (D("0.00"), D("117.64"), D("117.64")),
        (D("268.90"), D("268.90"), D("0.00")),
    ]


def test_a_rate_changed_by_the_invoice_date_is_trued_up_to_the_net_invoiced():
    # VAT 19 % until 31 January, 16 % from 1 February (the invoice date). The same January
    # as above, per-rate rule: on 31 January revenue is estimated at 19 %:
    # round(140.00 / 1.19) = 117.65 (tax 22.35 shared over the tiers: 84.04 + 33.61).
    # The invoice of 1 February applies 16 %: 140.00 / 1.16 = 120.6897 -> net 120.69;
    # exact taxes 13.7931 and 5.5172: floors 13.79 + 5.51, the cent left to tier 2 (0.72
    # of a cent): nets 86.21 + 34.48 = 120.69. The difference, 3.04, is a change in the
    # estimate caught up on the invoice date; January is not restated.
    TaxRateFactory(
        country="DE", name="Umsatzsteuer", percent=D("19"), effective_to=date(2026, 1, 31)
    )
    TaxRateFactory(
        country="DE", name="Umsatzsteuer", percent=D("16"), effective_from=date(2026, 2, 1)
    )
    contract = inclusive_contract("total")
    ingest_usage(contract, ((1, 5), 900), ((1, 20), 600))
    bill_and_issue(date(2026, 2, 1))
    (invoice,) = Invoice.objects.filter(contract=contract)
    assert invoice.subtotal_amount == D("120.69")
    assert usage_revenue(contract, date(2026, 2, 1)) == [
        (date(2026, 1, 31), D("117.65")),
        (date(2026, 2, 1), D("3.04")),
    ]
    assert waterfall_months(contract, date(2026, 2, 1), months=2) == [D("117.65"), D("3.04")]
    assert positions(contract, date(2026, 1, 31), date(2026, 2, 1)) == [
        (D("0.00"), D("117.65"), D("117.65")),
        (D("120.69"), D("120.69"), D("0.00")),
    ]


def test_late_usage_keeps_the_estimate_until_invoiced_then_is_trued_up_to_its_net():
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    contract = inclusive_contract("line")
    # January: 900 calls = 90.00 gross, invoiced on 1 February: net round(90 / 1.19) =
    # round(75.6303) = 75.63, as estimated: no true-up.
    ingest_usage(contract, ((1, 10), 900))
    bill_and_issue(date(2026, 2, 1))
    # 200 calls of 20 January arrive late, and 10 calls in February (1.00 gross).
    ingest_usage(contract, ((1, 20), 200), prefix="late")
    ingest_usage(contract, ((2, 3), 10), prefix="feb")
    # January is now 1,100 calls: 100.00 + 8.00 gross, nets 84.03 + 6.72 (6.7227) = 90.75,
    # estimated while only 90.00 of it is invoiced: the estimate stands, no true-up yet.
    assert usage_revenue(contract, date(2026, 2, 15)) == [
        (date(2026, 1, 31), D("90.75")),
        (date(2026, 2, 15), D("0.84")),  # February to date
    ]
    # 1 March invoices the late usage as one adjustment line of 18.00 gross: net
    # round(18 / 1.19) = round(15.1261) = 15.13. January invoiced 75.63 + 15.13 = 90.76,
    # a cent over the per-tier estimate: trued up on 1 March. February: round(1 / 1.19)
    # = 0.84.
    bill_and_issue(date(2026, 3, 1))
    assert usage_revenue(contract, date(2026, 3, 1)) == [
        (date(2026, 1, 31), D("90.75")),
        (date(2026, 3, 1), D("0.01")),
        (date(2026, 2, 28), D("0.84")),
    ]
    assert positions(contract, date(2026, 3, 1)) == [(D("91.60"), D("91.60"), D("0.00"))]
