"""Usage on the invoice: rate-card pricing, drawdowns with what is left, overage, expiry,
true-up and late usage, each worked step by step."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.services import issue_invoice
from billing.usage.models import CommitmentKind, EntryKind, LedgerEntry, PaymentPlan
from billing.usage.services.ledger import balances, grant_commitment
from tests.usage.factories import commitment_terms, ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db


def lines_of(invoice):
    return [(line.description.split(":")[0], line.amount) for line in invoice.lines.all()]


def test_a_prepaid_commitment_exhausted_mid_month_leaves_the_rest_as_overage():
    contract = usage_contract()  # 0.10 a call
    commitment = grant_commitment(
        **commitment_terms(contract, amount=Decimal("1000.00"), overage_percent=Decimal(120)),
        actor=None,
    )
    # January: 6,000 calls = 600.00, all drawn from the 1,000.00 prepaid: 400.00 left.
    ingest_usage(contract, ((1, 10), 6000))
    run_billing(date(2026, 2, 1))
    january = Invoice.objects.get(contract=contract)
    # The prepayment is invoiced with the first usage invoice of its period.
    assert lines_of(january) == [
        (contract.lines.get().product.name + ", 01 Jan 2026 – 31 Jan 2026", Decimal("600.00")),
        ("Prepayment of 2026 commitment, 01 Jan 2026 – 31 Dec 2026", Decimal("1000.00")),
        ("Drawn from 2026 commitment", Decimal("-600.00")),
    ]
    assert "$400.00 of $1,000.00 left" in january.lines.last().description
    assert january.subtotal_amount == Decimal("1000.00")
    # February: 4,000 calls by the 14th use the last 400.00; 3,000 more after it are
    # overage: billed at the contracted 300.00 plus 20 % = 60.00.
    ingest_usage(contract, ((2, 14), 4000), ((2, 20), 3000), prefix="feb")
    run_billing(date(2026, 3, 1))
    february = Invoice.objects.filter(contract=contract).latest("invoice_date")
    assert [amount for _, amount in lines_of(february)] == [
        Decimal("700.00"),
        Decimal("-400.00"),
        Decimal("60.00"),
    ]
    assert february.subtotal_amount == Decimal("360.00")
    # The ledger reproduces the balance on any date.
    assert balances([commitment], date(2026, 1, 30))[commitment.pk] == Decimal("1000.00")
    assert balances([commitment], date(2026, 1, 31))[commitment.pk] == Decimal("400.00")
    assert balances([commitment], date(2026, 2, 28))[commitment.pk] == Decimal("0.00")
    drawn = LedgerEntry.objects.filter(commitment=commitment, kind=EntryKind.DRAWDOWN)
    assert all(entry.invoice_line_id for entry in drawn)


def test_a_promotional_credit_burns_first_and_expires_unused_at_its_end():
    contract = usage_contract()
    promo = grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.PROMOTIONAL_CREDIT,
            payment_plan=PaymentPlan.FREE,
            name="Launch credit",
            amount=Decimal("50.00"),
            ends_on=date(2026, 2, 28),
        ),
        actor=None,
    )
    prepaid = grant_commitment(**commitment_terms(contract), actor=None)
    # January: 200 calls = 20.00, from the promotional credit first (priority 10 < 30).
    ingest_usage(contract, ((1, 3), 200))
    run_billing(date(2026, 2, 1))
    assert balances([promo, prepaid]) == {promo.pk: Decimal("30.00"), prepaid.pk: Decimal("1000")}
    # No usage in February; on 1 March the credit has ended: 30.00 expires, as of 28 Feb.
    run_billing(date(2026, 3, 1))
    expiry = LedgerEntry.objects.get(commitment=promo, kind=EntryKind.EXPIRY)
    assert (expiry.amount, expiry.effective_date) == (Decimal("-30.00"), date(2026, 2, 28))
    assert balances([promo], date(2026, 2, 27))[promo.pk] == Decimal("30.00")
    assert balances([promo], date(2026, 2, 28))[promo.pk] == Decimal("0.00")
    run_billing(date(2026, 3, 1))  # a re-run expires nothing twice
    assert LedgerEntry.objects.filter(commitment=promo, kind=EntryKind.EXPIRY).count() == 1


def test_an_unused_postpaid_minimum_is_trued_up_on_the_invoice_after_its_period():
    contract = usage_contract()
    minimum = grant_commitment(
        **commitment_terms(
            contract,
            kind=CommitmentKind.POSTPAID_COMMIT,
            payment_plan=PaymentPlan.IN_ARREARS,
            name="Q1 minimum",
            amount=Decimal("1000.00"),
            ends_on=date(2026, 3, 31),
        ),
        actor=None,
    )
    # Usage of 300.00, 200.00 and 100.00 is invoiced month by month (postpaid) and
    # counted toward the 1,000.00 minimum.
    ingest_usage(contract, ((1, 5), 3000), ((2, 5), 2000), ((3, 5), 1000))
    for run_date in (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)):
        run_billing(run_date)
    february = Invoice.objects.get(contract=contract, invoice_date=date(2026, 3, 1))
    assert [amount for _, amount in lines_of(february)] == [Decimal("200.00"), Decimal("0")]
    assert "$500.00 of $1,000.00 left" in february.lines.last().description
    # 1 April: March's 100.00, then the true-up of the 400.00 never used.
    april = Invoice.objects.get(contract=contract, invoice_date=date(2026, 4, 1))
    assert lines_of(april)[0][1] == Decimal("100.00")
    assert lines_of(april)[-1] == ("True-up of Q1 minimum", Decimal("400.00"))
    assert april.subtotal_amount == Decimal("500.00")
    true_up = LedgerEntry.objects.get(commitment=minimum, kind=EntryKind.TRUE_UP)
    assert true_up.amount == Decimal("-400.00") and true_up.invoice_line_id
    assert balances([minimum])[minimum.pk] == Decimal("0.00")


def test_late_usage_after_the_invoice_was_issued_is_an_adjustment_on_the_next_invoice():
    contract = usage_contract(pricing_model="graduated")
    ingest_usage(contract, ((1, 10), 900))
    run_billing(date(2026, 2, 1))
    january = Invoice.objects.get(contract=contract)
    january = issue_invoice(invoice=january, actor=None)
    assert january.lines.get().amount == Decimal("90.00")  # 900 x 0.10
    # Two events for 20 January arrive after the January invoice was issued.
    ingest_usage(contract, ((1, 20), 150), ((1, 21), 50), prefix="late")
    ingest_usage(contract, ((2, 3), 10), prefix="feb")
    run_billing(date(2026, 3, 1))
    february = Invoice.objects.filter(contract=contract).latest("invoice_date")
    late = february.lines.get(description__startswith="Late usage")
    # January re-priced with 1,100 calls: 1,000 x 0.10 + 100 x 0.08 = 108.00, less the
    # 90.00 billed: 18.00, on the February invoice; the issued invoice is untouched.
    assert late.amount == Decimal("18.00")
    assert "200 units reported after invoice" in late.description
    assert january.number in late.description
    assert [s[1] for s in late.explanation["steps"][:3]] == ["$90.00", "$108.00", "$18.00"]
    run_billing(date(2026, 4, 1))  # the late usage is billed once
    assert Invoice.objects.filter(lines__description__startswith="Late usage").count() == 1


def test_a_dry_run_draws_nothing_down():
    contract = usage_contract()
    commitment = grant_commitment(**commitment_terms(contract), actor=None)
    ingest_usage(contract, ((1, 10), 100))
    run = run_billing(date(2026, 2, 1), dry_run=True)
    assert [line["amount"] for line in run.preview[0]["lines"]] == ["10.00", "1000.00", "-10.00"]
    assert LedgerEntry.objects.filter(commitment=commitment).count() == 1  # the grant
