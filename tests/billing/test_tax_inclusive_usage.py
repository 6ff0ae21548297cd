"""Usage billing of a tax-inclusive contract, through the billing run: the rate card's
prices are gross, each tier line is split into net and tax by the contract's rule, and the
invoice totals exactly the gross the tiers charged."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services import issue_invoice
from tests.factories import TaxRateFactory, billable_account, seller_rounds_tax
from tests.usage.factories import ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def tasks_run_in_process(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # usage rollups run at once, no worker here


def test_a_graduated_usage_invoice_of_a_tax_inclusive_contract_splits_each_tier_line():
    # 1,500 API calls in January, graduated tiers 0-1,000 at 0.10 and above at 0.08 EUR,
    # gross (VAT at 19 % included), per-rate rule:
    #   tier 1: 1,000 x 0.10 = 100.00 gross;  tier 2: 500 x 0.08 = 40.00 gross.
    #   Per rate: 140.00 / 1.19 = 117.6471 -> net 117.65, tax 140.00 - 117.65 = 22.35.
    #   Exact taxes 100.00 x 19/119 = 15.9664 and 40.00 x 19/119 = 6.3866: floors 15.96 +
    #   6.38 = 22.34, the cent left goes to the larger fraction (0.66 of a cent), tier 2.
    #   tier 1: 84.04 + 15.96 = 100.00;  tier 2: 33.61 + 6.39 = 40.00.
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    seller_rounds_tax("total")
    contract = usage_contract(
        pricing_model="graduated",
        account=billable_account(billing_country="DE"),
        currency="EUR",
        prices_include_tax=True,
    )
    ingest_usage(contract, ((1, 5), 900), ((1, 20), 600))
    run_billing(date(2026, 2, 1))
    invoice = Invoice.objects.get(contract=contract)
    assert invoice.prices_include_tax
    lines = list(invoice.lines.order_by("position"))
    assert [(ln.amount + ln.tax_amount) for ln in lines] == [D("100.00"), D("40.00")]
    assert [(ln.amount, ln.tax_amount) for ln in lines] == [
        (D("84.04"), D("15.96")),
        (D("33.61"), D("6.39")),
    ]
    assert [ln.explanation["tax_inclusive"]["gross"] for ln in lines] == ["100.00", "40.00"]
    assert (invoice.subtotal_amount, invoice.tax_amount, invoice.total_amount) == (
        D("117.65"),
        D("22.35"),
        D("140.00"),
    )
    issued = issue_invoice(invoice=invoice, actor=None)
    assert issued.total_amount == sum((ln.amount + ln.tax_amount for ln in lines), D(0))
