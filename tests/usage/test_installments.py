"""A commitment paid in installments, worked step by step: usage draws on the whole
commitment from its start, the installments are invoiced on their dates with the usage
invoices, overage starts only when the whole commitment is used, and the unused rest
closes at the end as for any prepaid commitment. ASC 606: what the installments invoiced
is a contract liability until usage draws it down; usage ahead of them, a contract asset."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.usage.models import (
    Commitment,
    CommitmentInstallment,
    EntryKind,
    LedgerEntry,
    PaymentPlan,
)
from billing.usage.revenue import commitment_revenue, usage_revenue_events
from billing.usage.services import InstallmentPlan, installment_schedule
from billing.usage.services.ledger import balances, grant_commitment
from core.errors import DomainValidationError
from ordermgmt.models import Contract
from tests.usage.factories import commitment_terms, ingest_usage, run_billing, usage_contract

pytestmark = pytest.mark.django_db
D = Decimal


def invoice_on(contract, day):
    invoice = Invoice.objects.get(contract=contract, invoice_date=day)
    lines = {line.description.split(":")[0].split(",")[0]: line for line in invoice.lines.all()}
    return invoice, lines


def in_installments(contract, plan, **overrides):
    terms = commitment_terms(
        contract, payment_plan=PaymentPlan.INSTALLMENTS, name="FY26 commit", **overrides
    )
    return grant_commitment(**terms, installments=plan, actor=None)


def revenue(commitment, as_of):
    (row,) = commitment_revenue([commitment], as_of)
    return row.usage_revenue, row.breakage_revenue, row.contract_liability, row.contract_asset


def test_four_quarterly_installments_are_invoiced_on_schedule_while_usage_draws_on_all():
    contract = usage_contract()  # 0.10 a call
    commitment = in_installments(
        contract,
        InstallmentPlan(every="quarterly", count=4),
        amount=D("120000.00"),
        overage_percent=D(110),
    )
    # Step 1: 120,000.00 in four quarterly installments of 30,000.00 from 1 January; the
    # ledger grants the whole 120,000.00 on 1 January.
    assert list(commitment.installments.values_list("due_on", "amount")) == [
        (date(2026, 1, 1), D("30000.00")),
        (date(2026, 4, 1), D("30000.00")),
        (date(2026, 7, 1), D("30000.00")),
        (date(2026, 10, 1), D("30000.00")),
    ]
    assert balances([commitment], date(2026, 1, 1))[commitment.pk] == D("120000.00")
    # Step 2: January, 200,000 calls = 20,000.00. The 1 February invoice carries the
    # usage, installment 1 (due 1 January) and the drawdown: 100,000.00 of it left.
    ingest_usage(contract, ((1, 10), 200_000), ((2, 10), 300_000))
    run_billing(date(2026, 2, 1))
    january, lines = invoice_on(contract, date(2026, 2, 1))
    installment = lines["Installment 1 of 4 of FY26 commit"]
    assert installment.amount == D("30000.00")
    assert installment.explanation["revenue"] == "prepayment"
    assert "$100,000.00 of $120,000.00 left" in lines["Drawn from FY26 commit"].description
    assert lines["Drawn from FY26 commit"].amount == D("-20000.00")
    assert january.subtotal_amount == D("30000.00")  # 20,000 - 20,000 + 30,000
    # Step 3: February, 300,000 calls = 30,000.00, drawn too (Q1: 50,000.00 used, more
    # than the 30,000.00 invoiced so far: usage draws on the whole commitment). No
    # installment is due: the invoice nets to zero.
    run_billing(date(2026, 3, 1))
    february, lines = invoice_on(contract, date(2026, 3, 1))
    assert lines["Drawn from FY26 commit"].amount == D("-30000.00")
    assert "$70,000.00 of $120,000.00 left" in lines["Drawn from FY26 commit"].description
    assert february.subtotal_amount == D("0.00")
    # ASC 606 at the end of February: 50,000.00 used is revenue; 30,000.00 invoiced, so
    # 20,000.00 is earned ahead of billing (a contract asset), no liability.
    assert revenue(commitment, date(2026, 2, 28)) == (D("50000.00"), 0, 0, D("20000.00"))
    # Step 4: 1 April, installment 2 is invoiced (no March usage): 60,000.00 invoiced,
    # 50,000.00 used: a 10,000.00 contract liability.
    run_billing(date(2026, 4, 1))
    april, lines = invoice_on(contract, date(2026, 4, 1))
    assert lines["Installment 2 of 4 of FY26 commit"].amount == D("30000.00")
    assert april.subtotal_amount == D("30000.00")
    assert revenue(commitment, date(2026, 4, 1)) == (D("50000.00"), 0, D("10000.00"), 0)
    # Step 5: April, 800,000 calls = 80,000.00. The 70,000.00 left is drawn; overage starts
    # only now that the whole 120,000.00 is used (not at the 60,000.00 invoiced): 10,000.00
    # beyond it, at 110 %: 1,000.00 more.
    ingest_usage(contract, ((4, 15), 800_000), prefix="apr")
    run_billing(date(2026, 5, 1))
    may, lines = invoice_on(contract, date(2026, 5, 1))
    assert lines["Drawn from FY26 commit"].amount == D("-70000.00")
    assert lines["Overage beyond FY26 commit"].amount == D("1000.00")
    assert may.subtotal_amount == D("11000.00")  # 80,000 - 70,000 + 1,000
    assert balances([commitment], date(2026, 4, 30))[commitment.pk] == D("0.00")
    # Each installment is invoiced once: a re-run of 1 May adds none.
    run_billing(date(2026, 5, 1))
    invoiced = CommitmentInstallment.objects.filter(commitment=commitment)
    assert list(invoiced.exclude(invoice_line=None).values_list("number", flat=True)) == [1, 2]


def test_custom_installments_are_all_invoiced_by_the_end_and_the_unused_rest_expires():
    contract = usage_contract()
    commitment = in_installments(
        contract,
        InstallmentPlan(
            custom=((date(2026, 1, 1), D("50000.00")), (date(2026, 6, 30), D("70000.00")))
        ),
        amount=D("120000.00"),
        ends_on=date(2026, 6, 30),
    )
    # January: 500,000 calls = 50,000.00, drawn; nothing more until the end of June.
    ingest_usage(contract, ((1, 20), 500_000))
    run_billing(date(2026, 2, 1))
    # 1 July: the commitment has ended. Its last installment (due 30 June) is invoiced,
    # and the 70,000.00 never used expires as of 30 June: the installments invoiced the
    # whole minimum, so there is no true-up line to bill it a second time.
    run_billing(date(2026, 7, 1))
    _, lines = invoice_on(contract, date(2026, 7, 1))
    assert lines["Installment 2 of 2 of FY26 commit"].amount == D("70000.00")
    assert not any(name.startswith("True-up") for name in lines)
    expiry = LedgerEntry.objects.get(commitment=commitment, kind=EntryKind.EXPIRY)
    assert (expiry.amount, expiry.effective_date) == (D("-70000.00"), date(2026, 6, 30))
    assert balances([commitment])[commitment.pk] == D("0.00")
    # ASC 606 on 1 July: 50,000.00 usage, 70,000.00 breakage at expiry, nothing deferred;
    # reconciled to the invoices: invoiced - recognised = liability - asset = 0.
    assert revenue(commitment, date(2026, 7, 1)) == (D("50000.00"), D("70000.00"), 0, 0)
    invoiced = sum(i.subtotal_amount for i in Invoice.objects.filter(contract=contract))
    contracts = Contract.objects.filter(pk=contract.pk)
    events = usage_revenue_events(as_of=date(2026, 7, 1), contracts=contracts)
    assert invoiced == D("120000.00") == sum(amount for *_, amount in events)


def test_equal_installments_put_the_rounding_remainder_on_the_last():
    schedule = installment_schedule(
        plan=InstallmentPlan(every="monthly", count=3),
        amount=D("100000.00"),
        currency="USD",
        starts_on=date(2026, 1, 31),
        ends_on=date(2026, 12, 31),
    )
    assert schedule == [
        (date(2026, 1, 31), D("33333.33")),
        (date(2026, 2, 28), D("33333.33")),
        (date(2026, 3, 31), D("33333.34")),
    ]


@pytest.mark.parametrize(
    ("payment_plan", "plan", "field", "code"),
    [
        (
            PaymentPlan.INSTALLMENTS,
            InstallmentPlan(
                custom=((date(2026, 1, 1), D("60000")), (date(2026, 7, 1), D("50000")))
            ),
            "installments",
            "installments_do_not_sum",
        ),
        (
            PaymentPlan.INSTALLMENTS,
            InstallmentPlan(
                custom=((date(2026, 1, 1), D("60000")), (date(2027, 1, 1), D("60000")))
            ),
            "installments",
            "installment_outside_period",
        ),
        (
            PaymentPlan.INSTALLMENTS,
            InstallmentPlan(every="quarterly", count=5),
            "installment_count",
            "installment_outside_period",
        ),
        (PaymentPlan.INSTALLMENTS, None, "installments", "required"),
        (
            PaymentPlan.UP_FRONT,
            InstallmentPlan(every="monthly", count=12),
            "installments",
            "plan_does_not_fit_kind",
        ),
    ],
)
def test_an_installment_plan_that_does_not_fit_is_refused_naming_the_field(
    payment_plan, plan, field, code
):
    contract = usage_contract()
    terms = commitment_terms(contract, payment_plan=payment_plan, amount=D("120000.00"))
    with pytest.raises(DomainValidationError) as err:
        grant_commitment(**terms, installments=plan, actor=None)
    assert (err.value.field, err.value.code) == (field, code)
    assert not Commitment.objects.exists() and not CommitmentInstallment.objects.exists()
