"""Booking sync through simple-salesforce against the simulator over HTTPS: full and
incremental runs, mapped values, draft contracts, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.salesforce.models import (
    IssueStatus,
    SyncedRecord,
    SyncIssue,
    SyncRunStatus,
    SyncWatermark,
)
from integrations.salesforce.services import SYNC_USERNAME, run_sync_now
from ordermgmt.models import (
    Account,
    Contact,
    Contract,
    ContractStatus,
    Opportunity,
    OpportunityLine,
    Product,
)

pytestmark = pytest.mark.django_db


def history_rows() -> int:
    return sum(model.history.count() for model in (Account, Contact, Product, Contract))


def test_first_sync_creates_the_booking_with_mapped_values(sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    opportunity_id = sf_bookings.deal(
        account_id=account_id,
        lines=[("LL-PLAT", 25, "1200.00", 10), ("LL-IMPL", 1, "25000.00", None)],
        Payment_Terms__c="Net 45",
        Billing_Frequency__c="Quarterly",
    )

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    account = Account.objects.get(salesforce_id=account_id)
    assert account.legal_name == "Northwind Logistics Inc."
    assert (account.billing_address_line1, account.billing_address_line2) == (
        "100 Market Street",
        "Suite 400",
    )
    assert (account.billing_city, account.billing_region, account.billing_postal_code) == (
        "San Francisco",
        "CA",
        "94105",
    )
    assert account.billing_country == "US"
    assert account.default_currency == "USD"
    assert account.tax_id == "12-3456789"

    contact = Contact.objects.get(account=account)
    assert (contact.name, contact.email, contact.is_billing_contact) == (
        "Ana Costa",
        "ana.costa@northwind.example",
        True,
    )

    platform = Product.objects.get(sku="LL-PLAT")
    assert (platform.name, platform.revenue_type, platform.active) == (
        "Product LL-PLAT",
        "subscription",
        True,
    )

    opportunity = Opportunity.objects.get(salesforce_id=opportunity_id)
    assert opportunity.account == account
    assert opportunity.stage == "Closed Won"
    assert opportunity.close_date == date(2026, 2, 20)
    assert opportunity.currency == "USD"
    # 25 × 1200 × 0.9 + 25,000
    assert opportunity.amount == Decimal("52000.00")
    lines = {
        line.product.sku: line for line in OpportunityLine.objects.filter(opportunity=opportunity)
    }
    assert lines["LL-PLAT"].quantity == 25
    assert lines["LL-PLAT"].total_price == Decimal("27000.00")

    contract = Contract.objects.get(opportunity=opportunity)
    assert contract.status == ContractStatus.DRAFT
    assert contract.account == account
    assert (contract.start_date, contract.end_date) == (date(2026, 3, 1), date(2027, 2, 28))
    assert contract.currency == "USD"
    assert contract.payment_terms == "NET45"
    assert contract.billing_frequency == "quarterly"
    assert contract.po_number == "PO-10001"
    assert contract.owner.username == SYNC_USERNAME
    contract_lines = {line.product.sku: line for line in contract.lines.all()}
    assert contract_lines["LL-PLAT"].quantity == 25
    assert contract_lines["LL-PLAT"].unit_price == Decimal("1200")
    assert contract_lines["LL-PLAT"].discount_percent == Decimal("10")
    assert contract_lines["LL-IMPL"].discount_percent == 0
    assert contract.history.first().history_user.username == SYNC_USERNAME

    assert (run.fetched, run.contracts_created, run.errors, run.conflicts) == (2, 1, 0, 0)
    assert run.http_requests > 0
    assert SyncWatermark.objects.get(sf_object="Opportunity").system_modstamp is not None


def test_a_product_changed_in_salesforce_after_the_booking_is_updated(sf_settings, sf_bookings):
    sf_bookings.deal(lines=[("LL-IMPL", 1, "25000.00", None)])
    run_sync_now()
    sf_bookings.store.update(
        "Product2", sf_bookings.product("LL-IMPL"), {"Revenue_Type__c": "Professional Services"}
    )

    run = run_sync_now()

    assert Product.objects.get(sku="LL-IMPL").revenue_type == "professional_services"
    assert (run.fetched, run.updated) == (1, 1)


def test_a_second_run_changes_nothing(sf_settings, sf_sim, sf_bookings):
    sf_sim.seed(accounts=8, opportunities=40, seed=3)
    first = run_sync_now()
    assert first.status == SyncRunStatus.SUCCEEDED, first.error
    assert first.created > 0 and first.contracts_created > 0
    history_before = history_rows()
    links_before = list(
        SyncedRecord.objects.order_by("pk").values_list("pk", "values", "synced_at")
    )

    second = run_sync_now()

    assert second.status == SyncRunStatus.SUCCEEDED
    assert (second.fetched, second.created, second.updated, second.contracts_created) == (
        0,
        0,
        0,
        0,
    )
    assert history_rows() == history_before
    assert list(SyncedRecord.objects.order_by("pk").values_list("pk", "values", "synced_at")) == (
        links_before
    )


def test_a_full_resync_of_unchanged_records_writes_nothing(sf_settings, sf_sim):
    sf_sim.seed(accounts=5, opportunities=20, seed=5)
    run_sync_now()
    history_before = history_rows()

    with CaptureQueriesContext(connection) as queries:
        run = run_sync_now(full=True)

    assert run.fetched > 0
    assert (run.created, run.updated, run.contracts_created) == (0, 0, 0)
    assert run.unchanged > 0
    assert history_rows() == history_before
    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        and "salesforce_sync_sync" not in q["sql"]  # the run's own progress and log
        and "salesforce_sync_synclock" not in q["sql"]
    ]
    assert writes == []


def test_an_incremental_run_fetches_only_the_changed_opportunity(sf_settings, sf_sim, sf_bookings):
    sf_sim.seed(accounts=5, opportunities=30, seed=2)
    run_sync_now()
    booked = Opportunity.objects.exclude(contracts=None).first()
    sf_sim.store.update("Opportunity", booked.salesforce_id, {"PO_Number__c": "PO-CHANGED"})
    requests_before = sf_sim.request_count

    run = run_sync_now()

    # The preflight (5 describes, the org's currency), then line items, opportunities,
    # accounts, contacts and products changed since.
    assert sf_sim.request_count - requests_before == 6 + 5
    assert run.fetched == 1
    assert run.counts_by_object["Opportunity"]["fetched"] == 1
    assert Contract.objects.get(opportunity=booked).po_number == "PO-CHANGED"
    assert run.counts_by_object["Contract"] == {"updated": 1}


def test_an_opportunity_amount_changed_in_salesforce_is_updated(sf_settings, sf_bookings):
    opportunity_id = sf_bookings.deal(lines=[("LL-SEAT", 10, "100.00", None)])
    run_sync_now()
    line_id = sf_bookings.store.all("OpportunityLineItem")[0]["Id"]
    sf_bookings.store.update("OpportunityLineItem", line_id, {"Quantity": 12})

    run = run_sync_now()

    opportunity = Opportunity.objects.get(salesforce_id=opportunity_id)
    assert opportunity.amount == Decimal("1200")
    assert OpportunityLine.objects.get(salesforce_id=line_id).quantity == 12
    # The draft contract, untouched here, follows Salesforce.
    assert Contract.objects.get(opportunity=opportunity).lines.get().quantity == 12
    assert run.updated >= 2


def test_a_line_change_that_keeps_the_amount_is_found_through_the_line_watermark(
    sf_settings, sf_bookings
):
    sf_bookings.deal(lines=[("LL-SEAT", 10, "100.00", None)])
    run_sync_now()
    line_id = sf_bookings.store.all("OpportunityLineItem")[0]["Id"]
    sf_bookings.store.update("OpportunityLineItem", line_id, {"Description": "Seats for EMEA"})

    run = run_sync_now()

    assert run.counts_by_object["OpportunityLineItem"]["fetched"] == 1
    assert run.counts_by_object["Opportunity"]["fetched"] == 1
    assert run.updated == 0


def test_a_new_deal_for_a_known_account_gets_its_own_draft_contract(sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    sf_bookings.deal(account_id=account_id)
    run_sync_now()
    sf_bookings.deal(account_id=account_id, Name="Northwind - Expansion 2026", contact=False)

    run = run_sync_now()

    assert run.contracts_created == 1
    assert Contract.objects.filter(account__salesforce_id=account_id).count() == 2


def test_semi_annual_billing_becomes_a_custom_plan_of_equal_installments(sf_settings, sf_bookings):
    sf_bookings.deal(
        Billing_Frequency__c="Semi-Annual",
        Contract_Start_Date__c="2026-01-01",
        Contract_End_Date__c="2027-12-31",
    )

    run_sync_now()

    contract = Contract.objects.get()
    assert contract.billing_frequency == "custom"
    assert contract.custom_billing_plan == [
        {"billing_date": "2026-01-01", "percent": "25"},
        {"billing_date": "2026-07-01", "percent": "25"},
        {"billing_date": "2027-01-01", "percent": "25"},
        {"billing_date": "2027-07-01", "percent": "25"},
    ]


@pytest.mark.parametrize(
    ("salesforce", "ours"),
    [("Net 30", "NET30"), ("Net 60", "NET60"), ("Due on Receipt", "DUE"), ("Net 15", "NET15")],
)
def test_payment_terms_map_to_codes(sf_settings, sf_bookings, salesforce, ours):
    sf_bookings.deal(Payment_Terms__c=salesforce)

    run_sync_now()

    assert Contract.objects.get().payment_terms == ours


def test_empty_payment_terms_take_the_accounts_default(sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    sf_bookings.deal(account_id=account_id)
    run_sync_now()
    Account.objects.filter(salesforce_id=account_id).update(default_payment_terms="NET60")
    sf_bookings.deal(account_id=account_id, Payment_Terms__c=None, contact=False, Name="Second")

    run_sync_now()

    assert Contract.objects.get(name="Second").payment_terms == "NET60"


def test_pages_are_followed_through_next_records_url(sf_settings, sf_sim):
    sf_sim.batch_size = 3
    summary = sf_sim.seed(accounts=4, opportunities=15, seed=9)
    won = [o for o in sf_sim.store.all("Opportunity") if o["StageName"] == "Closed Won"]

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert Opportunity.objects.count() == len(won)
    assert Contract.objects.count() == len(won)
    assert len(summary.opportunities) == 15
    assert not SyncIssue.objects.filter(status=IssueStatus.OPEN).exists()


def test_a_deal_with_more_lines_than_one_child_page_syncs_every_line(
    sf_settings, sf_sim, sf_bookings
):
    sf_sim.child_batch_size = 4  # Salesforce's is larger; the paging is the same
    lines = [(f"LL-SKU-{n:03d}", 1, "10.00", None) for n in range(10)]
    deal = sf_bookings.deal(lines=lines)

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    opportunity = Opportunity.objects.get(salesforce_id=deal)
    assert OpportunityLine.objects.filter(opportunity=opportunity).count() == 10
    assert Contract.objects.get(opportunity=opportunity).lines.count() == 10
    assert not SyncIssue.objects.filter(status=IssueStatus.OPEN).exists()
