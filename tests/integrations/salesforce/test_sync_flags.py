"""Deals lost or deleted after booking are flagged, never removed; bad records are
reported on their own and the rest still syncs."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from integrations.salesforce.models import (
    IssueKind,
    IssueStatus,
    Resolution,
    SyncIssue,
    SyncLogLine,
    SyncRunStatus,
)
from integrations.salesforce.services import resolve_sync_issue, run_sync_now
from integrations.salesforce.simulator.schema import CURRENCIES
from ordermgmt.models import Account, Contract, ContractStatus, Opportunity

pytestmark = pytest.mark.django_db


def open_issue(kind: str, sf_id: str) -> SyncIssue:
    return SyncIssue.objects.get(kind=kind, sf_id=sf_id, status=IssueStatus.OPEN)


def test_a_deal_deleted_in_salesforce_after_booking_is_flagged_and_kept(sf_settings, sf_bookings):
    opportunity_id = sf_bookings.deal()
    run_sync_now()
    sf_bookings.store.delete("Opportunity", opportunity_id)

    run = run_sync_now()

    issue = open_issue(IssueKind.DELETED, opportunity_id)
    opportunity = Opportunity.objects.get(salesforce_id=opportunity_id)
    contract = Contract.objects.get(opportunity=opportunity)
    assert contract.status == ContractStatus.DRAFT
    assert (issue.opportunity, issue.contract) == (opportunity, contract)
    assert run.flagged == 1
    assert SyncLogLine.objects.filter(run=run, code="deleted_in_salesforce").exists()


def test_a_deal_moved_away_from_closed_won_after_booking_is_flagged(sf_settings, sf_bookings):
    opportunity_id = sf_bookings.deal()
    run_sync_now()
    sf_bookings.store.update("Opportunity", opportunity_id, {"StageName": "Closed Lost"})

    run = run_sync_now()

    issue = open_issue(IssueKind.LOST_AFTER_BOOKING, opportunity_id)
    assert issue.salesforce_value == "Closed Lost"
    opportunity = Opportunity.objects.get(salesforce_id=opportunity_id)
    assert opportunity.stage == "Closed Lost"  # the mirror follows; the contract stays
    assert Contract.objects.get(opportunity=opportunity).status == ContractStatus.DRAFT
    assert run.flagged == 1


def test_a_deal_won_again_closes_its_lost_flag_without_a_second_contract(sf_settings, sf_bookings):
    opportunity_id = sf_bookings.deal()
    run_sync_now()
    sf_bookings.store.update("Opportunity", opportunity_id, {"StageName": "Negotiation/Review"})
    run_sync_now()
    sf_bookings.store.update("Opportunity", opportunity_id, {"StageName": "Closed Won"})

    run = run_sync_now()

    issue = SyncIssue.objects.get(kind=IssueKind.LOST_AFTER_BOOKING)
    assert (issue.status, issue.resolution) == (IssueStatus.RESOLVED, Resolution.WON_AGAIN)
    assert Contract.objects.count() == 1
    assert run.contracts_created == 0


def test_a_flag_is_acknowledged_by_a_specialist(sf_settings, sf_bookings, specialist):
    opportunity_id = sf_bookings.deal()
    run_sync_now()
    sf_bookings.store.delete("Opportunity", opportunity_id)
    run_sync_now()
    issue = open_issue(IssueKind.DELETED, opportunity_id)

    resolve_sync_issue(
        issue=issue, resolution=Resolution.ACKNOWLEDGED, actor=specialist, note="will cancel"
    )

    issue.refresh_from_db()
    assert (issue.status, issue.resolved_by, issue.resolution_note) == (
        IssueStatus.RESOLVED,
        specialist,
        "will cancel",
    )


def test_an_opportunity_that_was_never_booked_is_ignored(sf_settings, sf_bookings, sf_records):
    sf_records.opportunity(StageName="Prospecting", CloseDate="2026-06-30")

    run = run_sync_now()

    assert not Opportunity.objects.exists()
    assert not SyncIssue.objects.exists()
    assert run.status == SyncRunStatus.SUCCEEDED


@pytest.fixture
def org_with_an_unknown_currency(monkeypatch, sf_sim):
    """The simulated org has enabled a currency ISO 4217 does not list (offshore yuan)."""
    opportunity = sf_sim.store.schema.objects["Opportunity"]
    field = replace(opportunity.fields["CurrencyIsoCode"], picklist=(*CURRENCIES, "CNT"))
    monkeypatch.setitem(opportunity.fields, "CurrencyIsoCode", field)
    monkeypatch.setitem(opportunity._by_lower, "currencyisocode", field)


@pytest.mark.parametrize(
    ("make_bad", "code"),
    [
        (lambda b: b.deal(Name="Bad: currency", CurrencyIsoCode="CNT"), "unknown_currency"),
        (
            lambda b: b.deal(Name="Bad: product", lines=[("", 1, "100.00", None)], contact=False),
            "unknown_product",
        ),
        (lambda b: b.deal(Name="Bad: dates", Contract_End_Date__c=None), "missing_date"),
        (lambda b: b.deal(Name="Bad: no amount", lines=[], contact=False), "missing_amount"),
    ],
    ids=["unknown currency", "unknown product", "missing dates", "no amount"],
)
def test_a_bad_record_is_reported_and_the_others_still_sync(
    sf_settings, sf_bookings, org_with_an_unknown_currency, make_bad, code
):
    good_before = sf_bookings.deal(Name="Good one")
    bad = make_bad(sf_bookings)
    good_after = sf_bookings.deal(Name="Good two")

    run = run_sync_now()

    assert run.status == SyncRunStatus.SUCCEEDED
    assert set(Opportunity.objects.values_list("salesforce_id", flat=True)) == {
        good_before,
        good_after,
    }
    assert Contract.objects.count() == 2
    issue = open_issue(IssueKind.BAD_RECORD, bad)
    assert issue.code == code
    assert (run.skipped, run.errors) == (1, 1)
    line = SyncLogLine.objects.get(run=run, sf_id=bad)
    assert line.code == code


def test_a_bad_record_fixed_in_salesforce_syncs_and_closes_its_issue(sf_settings, sf_bookings):
    product_id = sf_bookings.product("", Name="Mystery product")
    opportunity_id = sf_bookings.deal(lines=[("", 2, "50.00", None)])
    run_sync_now()
    assert open_issue(IssueKind.BAD_RECORD, opportunity_id).code == "unknown_product"

    # Fixing the product does not touch the opportunity's SystemModstamp; the sync
    # reads open bad records again on every run.
    sf_bookings.store.update("Product2", product_id, {"ProductCode": "LL-MYSTERY"})
    run = run_sync_now()

    issue = SyncIssue.objects.get(sf_id=opportunity_id)
    assert (issue.status, issue.resolution) == (
        IssueStatus.RESOLVED,
        Resolution.FIXED_IN_SALESFORCE,
    )
    assert Contract.objects.get().lines.get().product.sku == "LL-MYSTERY"
    assert run.contracts_created == 1


def test_a_billing_contact_without_email_is_reported_but_the_deal_syncs(sf_settings, sf_bookings):
    account_id = sf_bookings.account()
    contact_id = sf_bookings.contact(account_id, Email=None)
    opportunity_id = sf_bookings.deal(
        account_id=account_id, contact=False, Billing_Contact__c=contact_id
    )

    run_sync_now()

    assert Contract.objects.filter(opportunity__salesforce_id=opportunity_id).exists()
    assert open_issue(IssueKind.BAD_RECORD, contact_id).code == "missing_email"


def test_bad_record_messages_name_fields_not_customer_values(sf_settings, sf_bookings):
    account_id = sf_bookings.account(BillingCountry="Atlantis")
    opportunity_id = sf_bookings.deal(account_id=account_id)

    run = run_sync_now()

    issue = open_issue(IssueKind.BAD_RECORD, opportunity_id)
    assert issue.code == "unknown_country"
    assert "Atlantis" not in issue.message
    assert all("Atlantis" not in line.message for line in SyncLogLine.objects.filter(run=run))
    assert all("Northwind" not in line.message for line in SyncLogLine.objects.filter(run=run))


def test_no_customer_data_reaches_the_log(sf_settings, sf_bookings, caplog):
    caplog.set_level(logging.DEBUG)
    account_id = sf_bookings.account()
    sf_bookings.deal(account_id=account_id)
    sf_bookings.deal(account_id=account_id, Name="Bad one", Contract_End_Date__c=None)
    run_sync_now()
    Account.objects.filter(salesforce_id=account_id).update(legal_name="Northwind Local Ltd")
    sf_bookings.store.update("Account", account_id, {"Name": "Northwind Remote Ltd"})

    run_sync_now()

    assert SyncIssue.objects.filter(status=IssueStatus.OPEN).count() == 2
    text = caplog.text + " ".join(line.message for line in SyncLogLine.objects.all())
    for value in ["Northwind", "ana.costa", "Market Street", "12-3456789", "PO-10001"]:
        assert value not in text
