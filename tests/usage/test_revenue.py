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
