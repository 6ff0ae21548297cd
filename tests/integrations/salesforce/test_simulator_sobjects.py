"""sObject resources: rows, describe, replication (updated/deleted) and faults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from integrations.salesforce.simulator.testing import SimulatorHarness

from .conftest import FROZEN_AT, SimRecords


def test_describe_lists_fields_with_types_references_and_picklists(sf: Salesforce):
    describe = sf.Opportunity.describe()

    fields = {f["name"]: f for f in describe["fields"]}
    assert describe["keyPrefix"] == "006"
    assert {
        "Id",
        "AccountId",
        "StageName",
        "CloseDate",
        "Amount",
        "CurrencyIsoCode",
        "Contract_Start_Date__c",
        "Billing_Frequency__c",
        "Payment_Terms__c",
        "PO_Number__c",
        "SystemModstamp",
    } <= set(fields)
    assert fields["AccountId"]["referenceTo"] == ["Account"]
    assert fields["AccountId"]["relationshipName"] == "Account"
    assert fields["CloseDate"]["type"] == "date"
    assert fields["IsWon"]["updateable"] is False
    assert "Closed Won" in [v["value"] for v in fields["StageName"]["picklistValues"]]
    assert {
        "childSObject": "OpportunityLineItem",
        "field": "OpportunityId",
        "relationshipName": "OpportunityLineItems",
        "cascadeDelete": True,
    } in describe["childRelationships"]


def test_global_describe_lists_the_simulated_objects(sf: Salesforce):
    names = {o["name"]: o["keyPrefix"] for o in sf.describe()["sobjects"]}

    assert names == {
        "User": "005",
        "Organization": "00D",
        "Account": "001",
        "Contact": "003",
        "Product2": "01t",
        "Opportunity": "006",
        "OpportunityLineItem": "00k",
    }


def test_create_get_update_delete_round_trip(sf: Salesforce):
    created = sf.Account.create(
        {"Name": "Bluepeak Ltd", "CurrencyIsoCode": "GBP", "BillingCountry": "United Kingdom"}
    )
    account_id = created["id"]

    status = sf.Account.update(account_id, {"Tax_Id__c": "GB123456789"})
    record = sf.Account.get(account_id)
    deleted = sf.Account.delete(account_id)

    assert created["success"] is True
    assert account_id.startswith("001") and len(account_id) == 18
    assert status == 204
    assert (record["Name"], record["Tax_Id__c"], record["IsDeleted"]) == (
        "Bluepeak Ltd",
        "GB123456789",
        False,
    )
    assert deleted == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(account_id)


def test_create_with_unknown_field_or_missing_required_field_is_rejected(sf: Salesforce):
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.Account.create({"Name": "X", "Colour__c": "red"})
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Opportunity.create({"Name": "No stage"})

    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"
    assert missing.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_store_change_bumps_system_modstamp_and_last_modified_date(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    opportunity_id = sf_records.opportunity()
    before = sf.Opportunity.get(opportunity_id)

    sf_sim.store.update("Opportunity", opportunity_id, {"Payment_Terms__c": "Net 60"})
    after = sf.Opportunity.get(opportunity_id)

    assert after["SystemModstamp"] > before["SystemModstamp"]
    assert after["LastModifiedDate"] == after["SystemModstamp"]
    assert after["CreatedDate"] == before["CreatedDate"]


def test_line_item_change_rolls_up_into_opportunity_amount_and_modstamp(
    sf: Salesforce, sf_records: SimRecords
):
    opportunity_id = sf_records.opportunity()
    line_id = sf_records.line(opportunity_id, Quantity=2, UnitPrice="100.00")
    before = sf.Opportunity.get(opportunity_id)

    sf.OpportunityLineItem.update(line_id, {"Quantity": 5, "Discount": 10})
    after = sf.Opportunity.get(opportunity_id)

    assert (before["Amount"], after["Amount"]) == (200.0, 450.0)
    assert after["SystemModstamp"] > before["SystemModstamp"]


def test_updated_endpoint_lists_records_changed_in_a_tz_aware_window(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    old = sf_records.opportunity(Name="Old")  # stamped 09:00:00.00x
    sf_sim.store.clock.advance(timedelta(minutes=5))
    changed = sf_records.opportunity(Name="New")  # 09:05:00.00x
    sf_sim.store.clock.advance(timedelta(minutes=5))  # now 09:10

    result = sf.Opportunity.updated(
        FROZEN_AT + timedelta(minutes=1), datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    )

    assert result["ids"] == [changed]
    assert old not in result["ids"]
    # Never past "now", and minute-aligned like Salesforce's.
    assert result["latestDateCovered"] == "2026-03-02T09:10:00.000+0000"


def test_deleted_endpoint_lists_deleted_records_with_their_deletion_dates(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    opportunity_id = sf_records.opportunity()
    line_id = sf_records.line(opportunity_id)
    sf_sim.store.clock.advance(timedelta(minutes=2))
    sf.Opportunity.delete(opportunity_id)
    sf_sim.store.clock.advance(timedelta(minutes=2))

    opportunities = sf.Opportunity.deleted(FROZEN_AT, FROZEN_AT + timedelta(hours=1))
    lines = sf.OpportunityLineItem.deleted(FROZEN_AT, FROZEN_AT + timedelta(hours=1))

    assert opportunities["deletedRecords"] == [
        {"id": opportunity_id, "deletedDate": "2026-03-02T09:02:00.000+0000"}
    ]
    assert [r["id"] for r in lines["deletedRecords"]] == [line_id]  # cascaded
    assert opportunities["latestDateCovered"] == "2026-03-02T09:04:00.000+0000"
    assert opportunities["earliestDateAvailable"] == "2026-03-02T09:02:00.000+0000"


def test_updated_endpoint_rejects_naive_datetimes(sf: Salesforce):
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.updated(datetime(2026, 3, 1), datetime(2026, 3, 2))

    assert err.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_updated_endpoint_rejects_a_start_more_than_30_days_back(sf: Salesforce):
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.updated(FROZEN_AT - timedelta(days=31), FROZEN_AT)

    assert err.value.content[0]["errorCode"] == "INVALID_REPLICATION_DATE"


def test_fail_next_503_raises_general_error_then_the_next_call_succeeds(
    sf_sim: SimulatorHarness, sf: Salesforce
):
    sf_sim.fail_next(1, status=503)

    with pytest.raises(SalesforceGeneralError) as err:
        sf.query("SELECT Id FROM Account")
    result = sf.query("SELECT Id FROM Account")

    assert err.value.status == 503
    assert err.value.content[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert result["totalSize"] == 0


def test_fail_next_403_raises_refused_request_with_request_limit_exceeded(
    sf_sim: SimulatorHarness, sf: Salesforce
):
    sf_sim.fail_next(1, status=403)

    with pytest.raises(SalesforceRefusedRequest) as err:
        sf.Opportunity.describe()

    assert err.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_unknown_record_and_unknown_object_are_not_found(sf: Salesforce):
    with pytest.raises(SalesforceResourceNotFound) as record:
        sf.Opportunity.get("0065g00000AbCdEAAA")
    with pytest.raises(SalesforceResourceNotFound):
        sf.Invoice__c.describe()

    assert record.value.content[0]["errorCode"] == "NOT_FOUND"


def test_request_count_counts_api_calls(sf_sim: SimulatorHarness, sf: Salesforce):
    sf.Account.describe()
    sf.query("SELECT Id FROM Account")

    assert sf_sim.request_count == 2
    # Reported back in Sforce-Limit-Info, which simple-salesforce parses.
    assert sf.api_usage["api-usage"].used == 2
