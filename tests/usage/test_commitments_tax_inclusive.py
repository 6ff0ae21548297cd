"""Commitments and credits on a tax-inclusive contract: the ledger counts gross (the rate
card and the commitment include VAT), revenue is net of the tax, estimated when earned
and trued up to the net invoiced, so recognised revenue ends equal to what was invoiced
and the contract liability at zero. VAT 19 % throughout (DE buyer, EUR)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceStatus
from billing.revenue.selectors import contract_balance
from billing.revenue.selectors.reports import revenue_waterfall
from billing.services import issue_invoice
from billing.usage.models import CommitmentKind, PaymentPlan
from billing.usage.services.ledger import grant_commitment
from tests.factories import TaxRateFactory, billable_account, seller_rounds_tax
from tests.usage.factories import commitment_terms, ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db
D = Decimal


def inclusive_contract(rule="line"):
    """0.10 EUR a call, VAT included, billed monthly from 1 January 2026."""
    TaxRateFactory(country="DE", name="Umsatzsteuer", percent=D("19"))
    seller_rounds_tax(rule)
    return usage_contract(
        account=billable_account(billing_country="DE"), currency="EUR", prices_include_tax=True
    )


def bill_and_issue(*run_dates):
    for run_date in run_dates:
        run_billing(run_date)
        for invoice in Invoice.objects.filter(status=InvoiceStatus.DRAFT).order_by("pk"):
            issue_invoice(invoice=invoice, actor=None)


def invoice_lines(contract):
    """Per invoice date, its lines as (net, tax)."""
    return {
        invoice.invoice_date: [
            (line.amount, line.tax_amount) for line in invoice.lines.order_by("pk")
        ]
        for invoice in Invoice.objects.filter(contract=contract).order_by("invoice_date")
    }


def positions(contract, *days):
    rows = [contract_balance(contract, day) for day in days]
    return [(row.billed, row.recognised, row.net_position) for row in rows]


def waterfall_months(contract, as_of, months=4):
    waterfall = revenue_waterfall(
        as_of=as_of, currency="EUR", start=date(2026, 1, 1), months=months
    )
    (row,) = [r for r in waterfall.rows if r.contract_id == contract.pk]
    return row.months


def test_a_prepaid_commitment_drawn_down_then_in_overage_recognises_the_net_invoiced():
    contract = inclusive_contract()
    grant_commitment(
        **commitment_terms(
            contract, amount=D("1000.00"), ends_on=date(2026, 3, 31), overage_percent=D(120)
        ),
        actor=None,
    )
    # January 3,100 calls = 310.00 gross, February 2,800 = 280.00, March 5,000 = 500.00:
    # the commitment's last 410.00 is drawn and 90.00 is overage, surcharged 20 % = 18.00.
    ingest_usage(contract, ((1, 15), 3100), ((2, 10), 2800), ((3, 10), 5000))
    bill_and_issue(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    # Each line's net is round(gross / 1.19) ("line" rule), its tax the rest:
    # 1 Feb: usage 310.00 -> 260.50 + 49.50; prepayment 1,000.00 -> 840.34 + 159.66
    #        (840.336); drawdown -310.00 -> -260.50 - 49.50. Invoice net 840.34.
    # 1 Mar: usage 280.00 -> 235.29 + 44.71 (235.294); drawdown the same negative.
    # 1 Apr: usage 500.00 -> 420.17 + 79.83 (420.168); drawdown -410.00 -> -344.54
    #        - 65.46 (344.538); overage 18.00 -> 15.13 + 2.87 (15.126).
    assert invoice_lines(contract) == {
        date(2026, 2, 1): [
            (D("260.50"), D("49.50")),
            (D("840.34"), D("159.66")),
            (D("-260.50"), D("-49.50")),
        ],
        date(2026, 3, 1): [(D("235.29"), D("44.71")), (D("-235.29"), D("-44.71"))],
        date(2026, 4, 1): [
            (D("420.17"), D("79.83")),
            (D("-344.54"), D("-65.46")),
            (D("15.13"), D("2.87")),
        ],
    }
    # Revenue: usage as consumed, net (260.50, 235.29, 420.17) and the overage net 15.13
    # in March: 931.09. Invoiced net: 840.34 + 0 + (420.17 - 344.54 + 15.13) = 931.10.
    # The cent: the prepayment's net (840.34) is not the sum of its drawdowns' nets
    # (260.50 + 235.29 + 344.54 = 840.33). Once the commitment has ended and its
    # prepayment and every drawdown are invoiced (1 April), the liability left, 0.01, is
    # recognised: revenue = invoiced net, liability nil.
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        D("260.50"),
        D("235.29"),
        D("435.30"),
        D("0.01"),
    ]
    assert positions(contract, date(2026, 1, 31), date(2026, 2, 28), date(2026, 4, 1)) == [
        (D("0.00"), D("260.50"), D("260.50")),  # earned, not yet billed: an asset
        (D("840.34"), D("495.79"), D("-344.55")),  # prepaid, not yet used: a liability
        (D("931.10"), D("931.10"), D("0.00")),
    ]


def test_breakage_of_a_prepaid_commitment_is_net_and_trued_up_to_the_net_invoiced():
    contract = inclusive_contract()
    grant_commitment(
        **commitment_terms(contract, amount=D("1000.00"), ends_on=date(2026, 3, 31)),
        actor=None,
    )
    # 310.00 + 280.00 + 310.00 gross used, 100.00 gross expires unused on 31 March.
    ingest_usage(contract, ((1, 15), 3100), ((2, 10), 2800), ((3, 10), 3100))
    bill_and_issue(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    # Breakage on 31 March, estimated net: round(100.00 / 1.19) = 84.03 (not 100.00, which
    # would count the VAT as revenue). March's drawdown is invoiced on 1 April; then the
    # liability left is known: prepayment 840.34 - drawdowns (260.50 + 235.29 + 260.50)
    # = 84.05, and the estimate is trued up by 0.02 on 1 April.
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        D("260.50"),
        D("235.29"),
        D("344.53"),  # 260.50 usage + 84.03 breakage
        D("0.02"),
    ]
    assert positions(contract, date(2026, 3, 31), date(2026, 4, 1)) == [
        (D("840.34"), D("840.32"), D("-0.02")),
        (D("840.34"), D("840.34"), D("0.00")),
    ]


def test_a_postpaid_minimums_true_up_is_net_and_trued_up_to_its_invoice_line():
    contract = inclusive_contract("total")
    grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.POSTPAID_COMMIT,
            payment_plan=PaymentPlan.IN_ARREARS,
            name="Q1 minimum",
            ends_on=date(2026, 3, 31),
        ),
        actor=None,
    )
    ingest_usage(contract, ((1, 5), 3000), ((2, 5), 2000), ((3, 5), 1000))
    bill_and_issue(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    # Usage 300.00, 200.00 and 100.00 gross is invoiced monthly; 400.00 of the 1,000.00
    # minimum is unused: a true-up line on 1 April, revenue on 31 March, estimated
    # round(400.00 / 1.19) = 336.13 (336.134).
    # The "total" rule splits the 1 April invoice's tax once: 500.00 gross -> net
    # round(420.168) = 420.17, tax 79.83; exact taxes 15.966 (usage) and 63.866
    # (true-up) floor to 15.96 + 63.86 = 79.82, the cent left goes to the larger
    # fraction (usage): usage 84.03 + 15.97, true-up 336.14 + 63.86. The true-up's net
    # is a cent above its estimate: +0.01 on 1 April.
    # (The line counting March's usage toward the minimum is 0.00.)
    assert invoice_lines(contract)[date(2026, 4, 1)] == [
        (D("84.03"), D("15.97")),
        (D("0.00"), D("0.00")),
        (D("336.14"), D("63.86")),
    ]
    # Usage nets: 252.10 (300 / 1.19 = 252.101) and 168.07 (168.067).
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        D("252.10"),
        D("168.07"),
        D("420.16"),  # 84.03 + 336.13
        D("0.01"),
    ]
    assert positions(contract, date(2026, 4, 1)) == [(D("840.34"), D("840.34"), D("0.00"))]


def test_a_promotional_credit_reduces_revenue_by_its_net_not_its_gross():
    contract = inclusive_contract()
    grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.PROMOTIONAL_CREDIT,
            payment_plan=PaymentPlan.FREE,
            name="Launch credit",
            amount=D("50.00"),
        ),
        actor=None,
    )
    # January: 600 calls = 60.00 gross, 50.00 of it from the credit. Usage net
    # round(60.00 / 1.19) = 50.42 (50.420); the credit's drawdown -50.00 gross is a price
    # reduction of its net, round(50.00 / 1.19) = 42.02 (42.016), not of 50.00.
    ingest_usage(contract, ((1, 15), 600))
    bill_and_issue(date(2026, 2, 1))
    assert invoice_lines(contract)[date(2026, 2, 1)] == [
        (D("50.42"), D("9.58")),
        (D("-42.02"), D("-7.98")),
    ]
    assert waterfall_months(contract, date(2026, 2, 1), months=2) == [D("8.40"), D("0")]
    assert positions(contract, date(2026, 2, 1)) == [(D("8.40"), D("8.40"), D("0.00"))]


def test_a_commitment_paid_in_installments_is_trued_up_from_what_they_invoiced_net():
    from billing.usage.services import InstallmentPlan

    contract = inclusive_contract()
    grant_commitment(
        **commitment_terms(
            contract,
            payment_plan=PaymentPlan.INSTALLMENTS,
            amount=D("1000.00"),
            ends_on=date(2026, 3, 31),
        ),
        installments=InstallmentPlan(every="monthly", count=2),
        actor=None,
    )
    ingest_usage(contract, ((1, 15), 3100), ((2, 10), 2800), ((3, 10), 3100))
    bill_and_issue(date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
    # Two installments of 500.00 gross, each round(500.00 / 1.19) = 420.17 net (420.168):
    # 840.34 invoiced net, as the prepayment above. Usage nets 260.50 + 235.29 + 260.50,
    # drawn down by lines of the same nets; 100.00 gross expires: 84.03 estimated on 31
    # March, trued up on 1 April to 840.34 - 756.29 = 84.05.
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        D("260.50"),
        D("235.29"),
        D("344.53"),
        D("0.02"),
    ]
    assert positions(contract, date(2026, 4, 1)) == [(D("840.34"), D("840.34"), D("0.00"))]
