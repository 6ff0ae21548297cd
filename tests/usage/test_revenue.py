"""ASC 606 for prepaid commitments: revenue as consumed, breakage at expiry or in
proportion to the pattern of use, the liability what is left."""

from datetime import date
from decimal import Decimal

import pytest

from billing.usage.models import CommitmentKind, PaymentPlan
from billing.usage.revenue import commitment_revenue
from billing.usage.services.ledger import grant_commitment
from tests.usage.factories import commitment_terms, ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1_commitment():
    """1,000.00 prepaid for 1 Jan - 31 Mar (90 days); January uses 310.00 (3,100 calls)."""
    contract = usage_contract()
    commitment = grant_commitment(
        **commitment_terms(contract, amount=Decimal("1000.00"), ends_on=date(2026, 3, 31)),
        actor=None,
    )
    ingest_usage(contract, ((1, 15), 3100))
    run_billing(date(2026, 2, 1))
    return contract, commitment


def figures(commitment, as_of):
    (row,) = commitment_revenue([commitment], as_of)
    return row.usage_revenue, row.breakage_revenue, row.contract_liability


def test_at_expiry_breakage_waits_for_the_end_and_the_liability_holds_the_rest(q1_commitment):
    contract, commitment = q1_commitment
    assert figures(commitment, date(2026, 1, 31)) == (
        Decimal("310.00"),
        Decimal("0"),
        Decimal("690.00"),
    )
    # February 280.00 and March 310.00 used; 100.00 expires on 31 March: breakage then.
    ingest_usage(contract, ((2, 10), 2800), ((3, 10), 3100), prefix="q1")
    for run_date in (date(2026, 3, 1), date(2026, 4, 1)):
        run_billing(run_date)
    assert figures(commitment, date(2026, 3, 31)) == (
        Decimal("900.00"),
        Decimal("100.00"),
        Decimal("0.00"),
    )


def test_proportional_breakage_follows_the_pattern_of_use(q1_commitment, settings):
    settings.LEDGERLINE_USAGE_BREAKAGE = "proportional"
    _, commitment = q1_commitment
    # 310.00 over January's 31 days = 10.00 a day; over 90 days 900.00 is expected to be
    # used and 100.00 to go unused. 310 / 900 of that 100.00 is recognised: 34.44.
    assert figures(commitment, date(2026, 1, 31)) == (
        Decimal("310.00"),
        Decimal("34.44"),
        Decimal("655.56"),
    )


def test_a_promotional_credit_reduces_usage_revenue_and_is_no_liability():
    contract = usage_contract()
    promo = grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.PROMOTIONAL_CREDIT,
            payment_plan=PaymentPlan.FREE,
            amount=Decimal("50.00"),
        ),
        actor=None,
    )
    ingest_usage(contract, ((1, 15), 200))  # 20.00
    run_billing(date(2026, 2, 1))
    assert figures(promo, date(2026, 1, 31)) == (Decimal("-20.00"), Decimal("0"), Decimal("0"))


def bill_and_issue(*run_dates):
    from billing.models import Invoice, InvoiceStatus
    from billing.services import issue_invoice

    for run_date in run_dates:
        run_billing(run_date)
        for invoice in Invoice.objects.filter(status=InvoiceStatus.DRAFT).order_by("pk"):
            issue_invoice(invoice=invoice, actor=None)


def positions(contract, *days):
    from billing.revenue.selectors import contract_balance

    rows = [contract_balance(contract, day) for day in days]
    return [(row.billed, row.recognised, row.net_position) for row in rows]


def waterfall_months(contract, as_of):
    from billing.revenue.selectors.reports import revenue_waterfall

    waterfall = revenue_waterfall(as_of=as_of, currency="USD", start=date(2026, 1, 1), months=4)
    (row,) = [r for r in waterfall.rows if r.contract_id == contract.pk]
    return row.months


def test_a_prepaid_commitment_used_then_expired_recognises_what_was_invoiced(q1_commitment):
    contract, _ = q1_commitment
    from billing.models import Invoice
    from billing.services import issue_invoice

    issue_invoice(invoice=Invoice.objects.get(contract=contract), actor=None)
    # 1,000.00 prepaid for Q1, invoiced on 1 Feb with January's 310.00 of usage and its
    # 310.00 drawdown. February uses 280.00 and March 310.00; 100.00 expires on 31 March.
    ingest_usage(contract, ((2, 10), 2800), ((3, 10), 3100), prefix="q1")
    bill_and_issue(date(2026, 3, 1), date(2026, 4, 1))
    # 31 Jan: 310.00 consumed, nothing invoiced yet: an unbilled contract asset of 310.00.
    # 28 Feb: 1,000.00 invoiced, 590.00 consumed: a contract liability of 410.00.
    # 1 Apr: 900.00 consumed + 100.00 breakage at expiry = 1,000.00 = invoiced: nil.
    assert positions(contract, date(2026, 1, 31), date(2026, 2, 28), date(2026, 4, 1)) == [
        (Decimal("0.00"), Decimal("310.00"), Decimal("310.00")),
        (Decimal("1000.00"), Decimal("590.00"), Decimal("-410.00")),
        (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00")),
    ]
    # The waterfall: usage in the month consumed, the breakage in March.
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        Decimal("310.00"),
        Decimal("280.00"),
        Decimal("410.00"),
        Decimal("0"),
    ]


def test_proportional_breakage_reaches_the_same_total_by_expiry(q1_commitment, settings):
    settings.LEDGERLINE_USAGE_BREAKAGE = "proportional"
    contract, _ = q1_commitment
    from billing.models import Invoice
    from billing.services import issue_invoice

    issue_invoice(invoice=Invoice.objects.get(contract=contract), actor=None)
    ingest_usage(contract, ((2, 10), 2800), ((3, 10), 3100), prefix="q1")
    bill_and_issue(date(2026, 3, 1), date(2026, 4, 1))
    months = waterfall_months(contract, date(2026, 4, 1))
    # January: 310.00 of usage + 34.44 breakage in proportion to use (see above); the rest
    # of the 100.00 follows the use of February and March, and the total is what was
    # invoiced: 1,000.00, with no liability left.
    assert months[0] == Decimal("344.44")
    assert sum(months) == Decimal("1000.00")
    assert positions(contract, date(2026, 4, 1)) == [
        (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00"))
    ]


def test_an_unused_postpaid_minimum_is_revenue_when_its_period_ends_and_reconciles():
    contract = usage_contract()
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
    # Usage 300.00 + 200.00 + 100.00 invoiced monthly; the 400.00 true-up is revenue on
    # 31 March (the end of the minimum's period) and invoiced on 1 April.
    assert waterfall_months(contract, date(2026, 4, 1)) == [
        Decimal("300.00"),
        Decimal("200.00"),
        Decimal("500.00"),
        Decimal("0"),
    ]
    assert positions(contract, date(2026, 3, 31), date(2026, 4, 1)) == [
        (Decimal("500.00"), Decimal("1000.00"), Decimal("500.00")),
        (Decimal("1000.00"), Decimal("1000.00"), Decimal("0.00")),
    ]


def test_overage_and_a_promotional_credit_reconcile_revenue_to_the_invoices():
    contract = usage_contract()
    grant_commitment(
        **commitment_terms(contract, amount=Decimal("100.00"), overage_percent=Decimal(120)),
        actor=None,
    )
    grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.PROMOTIONAL_CREDIT,
            payment_plan=PaymentPlan.FREE,
            name="Launch credit",
            amount=Decimal("20.00"),
        ),
        actor=None,
    )
    # January: 2,000 calls = 200.00: 20.00 from the credit, 100.00 from the prepaid, 80.00
    # overage + 20 % = 16.00. Invoice: 200.00 + 100.00 prepayment - 20.00 - 100.00 + 16.00.
    ingest_usage(contract, ((1, 5), 2000))
    bill_and_issue(date(2026, 2, 1))
    # Revenue: 200.00 usage - 20.00 credit + 16.00 overage = 196.00 = invoiced.
    assert positions(contract, date(2026, 2, 1)) == [
        (Decimal("196.00"), Decimal("196.00"), Decimal("0.00"))
    ]
