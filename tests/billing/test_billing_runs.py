from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import (
    BillingRun,
    BillingScheduleLine,
    Invoice,
    InvoiceLine,
    ScheduleLineStatus,
)
from billing.services import execute_billing_run, queue_billing_run, record_usage
from ordermgmt.models import Contract, RevenueType
from tests.factories import (
    AccountFactory,
    ProductFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
    seller_rounds_tax,
)

pytestmark = pytest.mark.django_db


def run(run_date, dry_run=False):
    billing_run = queue_billing_run(run_date=run_date, actor=None, dry_run=dry_run)
    return execute_billing_run(run=BillingRun.objects.get(pk=billing_run.pk))


def test_a_run_turns_due_lines_into_one_draft_invoice_per_contract():
    monthly = active_contract(billing_frequency="monthly", payment_terms="NET45")
    annual = active_contract()
    result = run(date(2026, 3, 1))
    assert result.invoices_created == 2
    invoice = Invoice.objects.get(contract=monthly)
    # Jan, Feb and Mar are due by 1 March: three lines of 1,000.00.
    assert invoice.lines.count() == 3 and invoice.subtotal_amount == Decimal("3000.00")
    assert invoice.status == "draft" and invoice.number is None
    assert invoice.due_date == date(2026, 4, 15)  # NET45 from 1 March
    assert Invoice.objects.get(contract=annual).total_amount == Decimal("12000.00")
    assert not BillingScheduleLine.objects.filter(
        contract=monthly, billing_date__lte=date(2026, 3, 1), status=ScheduleLineStatus.PENDING
    ).exists()


def test_a_second_run_for_the_same_date_creates_nothing():
    active_contract(billing_frequency="monthly")
    run(date(2026, 3, 1))
    again = run(date(2026, 3, 1))
    assert again.invoices_created == 0
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 3


def test_a_run_that_crashed_half_way_finishes_on_the_next_run(settings):
    settings.LEDGERLINE_BILLING_CHUNK_SIZE = 1
    contracts = [active_contract() for _ in range(3)]
    poisoned = contracts[1].account_id
    # A real failure in the middle: the database refuses the second contract's invoice.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION fail_once() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.account_id = {poisoned} THEN RAISE EXCEPTION 'disk full'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER fail_once BEFORE INSERT ON billing_invoice "
            "FOR EACH ROW EXECUTE FUNCTION fail_once();"
        )
    with pytest.raises(Exception, match="disk full"):
        run(date(2026, 1, 1))
    assert BillingRun.objects.get().status == "failed"
    assert Invoice.objects.count() == 1  # the first chunk committed, the rest is pending
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER fail_once ON billing_invoice; DROP FUNCTION fail_once();")
    second = run(date(2026, 1, 1))
    assert second.invoices_created == 2
    assert sorted(Invoice.objects.values_list("contract_id", flat=True)) == sorted(
        c.pk for c in contracts
    )
    assert InvoiceLine.objects.count() == 3  # each schedule line billed exactly once


def test_skipped_contracts_are_listed_with_the_reason():
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    no_contact = active_contract(account=AccountFactory(billing_country="US"))
    TaxRateFactory(country="US")
    no_tax = active_contract(account=billable_account(billing_country="FR"))
    from billing.models import TaxRate

    TaxRate.objects.filter(country="FR").delete()
    billed = active_contract()

    result = run(date(2026, 1, 1))
    assert result.invoices_created == 1
    assert Invoice.objects.get().contract == billed
    reasons = {e.contract_id: e.reason for e in result.exceptions.all()}
    assert reasons == {
        on_hold.pk: "billing_hold",
        no_contact.pk: "no_billing_contact",
        no_tax.pk: "no_tax_rate",
    }
    assert "No tax rate for FR" in result.exceptions.get(contract=no_tax).message
    assert result.totals["skipped"] == {
        "billing_hold": 1,
        "no_billing_contact": 1,
        "no_tax_rate": 1,
    }


def test_a_dry_run_previews_exactly_and_says_what_changed_since_the_last_preview():
    first_contract = active_contract(billing_frequency="monthly")
    preview = run(date(2026, 2, 1), dry_run=True)
    assert Invoice.objects.count() == 0
    (row,) = preview.preview
    assert (row["reference"], row["total"]) == (first_contract.reference, "2000.00")
    assert preview.changes_since_last_preview == {"previous_preview": None}

    second_contract = active_contract()
    Contract.objects.filter(pk=first_contract.pk).update(billing_hold=True)
    again = run(date(2026, 2, 1), dry_run=True)
    changes = again.changes_since_last_preview
    assert changes["added"] == [second_contract.reference]
    assert changes["changed"] == [
        {"reference": first_contract.reference, "before": "2000.00", "after": "billing_hold"}
    ]
    real = run(date(2026, 2, 1))
    assert real.invoices_created == 1
    previewed = {row["reference"]: row.get("total") for row in again.preview}
    assert Decimal(previewed[second_contract.reference]) == Invoice.objects.get().total_amount


def test_usage_is_billed_in_arrears_from_recorded_quantities():
    api_calls = ProductFactory(revenue_type=RevenueType.USAGE)
    contract = active_contract(
        billing_frequency="monthly",
        lines=[
            line_input(
                api_calls,
                quantity=Decimal(0),
                unit_price=Decimal("0.40"),
                discount_percent=Decimal(25),
            )
        ],
    )
    usage_line = contract.lines.get()
    record_usage(
        contract_line=usage_line,
        usage_date=date(2026, 1, 10),
        quantity=Decimal("1000.5"),
        reference="u-1",
    )
    record_usage(
        contract_line=usage_line,
        usage_date=date(2026, 1, 31),
        quantity=Decimal(500),
        reference="u-2",
    )
    record_usage(
        contract_line=usage_line,
        usage_date=date(2026, 1, 31),
        quantity=Decimal(500),
        reference="u-2",
    )  # a duplicate report, ignored
    run(date(2026, 2, 1))
    (line,) = Invoice.objects.get().lines.all()
    # 1,500.5 calls x 0.40 x (1 - 25%) = 450.15
    assert (line.quantity, line.amount) == (Decimal("1500.5"), Decimal("450.15"))
    assert (line.period_start, line.period_end) == (date(2026, 1, 1), date(2026, 1, 31))


def test_tax_rounds_per_rate_by_default_and_per_line_where_the_seller_says_so():
    account = billable_account(billing_country="US", billing_region="TX")
    TaxRateFactory(country="US", region="TX", percent=Decimal("8.25"))
    product = ProductFactory()
    lines = [line_input(product, quantity=Decimal(1), unit_price=Decimal("10.00"))] * 3
    active_contract(account=account, lines=lines)
    run(date(2026, 1, 1))
    per_rate = Invoice.objects.get()
    assert per_rate.tax_rounding == "total"
    assert per_rate.tax_amount == Decimal("2.48")  # round(30.00 x 8.25%) = round(2.475)
    assert sum(line.tax_amount for line in per_rate.lines.all()) == Decimal("2.48")

    seller_rounds_tax("line")
    active_contract(account=account, lines=lines)
    run(date(2026, 1, 1))
    per_line = Invoice.objects.latest("id")
    assert per_line.tax_rounding == "line"
    assert per_line.tax_amount == Decimal("2.49")  # 3 x round(0.825) [CUR-ROUND-002]
    per_rate.refresh_from_db()
    assert per_rate.tax_amount == Decimal("2.48")  # a draft keeps the rule it was made by


def test_tax_exempt_accounts_are_invoiced_without_tax():
    account = billable_account(tax_exempt=True, billing_country="DE")
    active_contract(account=account)
    run(date(2026, 1, 1))
    invoice = Invoice.objects.get()
    assert invoice.tax_amount == 0 and invoice.tax_exempt


def test_tax_rates_follow_their_effective_dates():
    account = billable_account(billing_country="GB")
    from billing.models import TaxRate

    TaxRate.objects.filter(country="GB").delete()
    TaxRateFactory(
        country="GB",
        percent=Decimal("17.5"),
        effective_from=date(2020, 1, 1),
        effective_to=date(2025, 12, 31),
    )
    TaxRateFactory(country="GB", percent=Decimal("20"), effective_from=date(2026, 1, 1))
    active_contract(account=account, currency="USD")
    run(date(2026, 1, 1))
    assert Invoice.objects.get().lines.get().tax_percent == Decimal("20")


def test_running_the_same_run_again_lists_each_skip_once():
    on_hold = active_contract()
    Contract.objects.filter(pk=on_hold.pk).update(billing_hold=True)
    first = run(date(2026, 1, 1))
    execute_billing_run(run=first)  # the task delivered a second time
    assert first.exceptions.count() == 1
