"""Contract changes from Salesforce are written set-based: an incremental sync that
changes N contracts runs the same number of queries for 3 as for 12, and still records
a history row for every contract and contract line it changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.salesforce.models import SyncRunStatus
from integrations.salesforce.services import SYNC_USERNAME, run_sync_now
from ordermgmt.models import Contract, ContractLine

pytestmark = pytest.mark.django_db


def _change(sf_bookings, opportunity_ids: list[str], tag: str) -> None:
    """A new PO number on every deal, and a new quantity on every deal's line."""
    store = sf_bookings.store
    lines = {line["OpportunityId"]: line["Id"] for line in store.all("OpportunityLineItem")}
    for index, sf_id in enumerate(opportunity_ids):
        store.update("Opportunity", sf_id, {"PO_Number__c": f"PO-{tag}-{index}"})
        store.update("OpportunityLineItem", lines[sf_id], {"Quantity": 20 + index})


def _synced_with_queries(sf_bookings, opportunity_ids: list[str], tag: str) -> int:
    _change(sf_bookings, opportunity_ids, tag)
    with CaptureQueriesContext(connection) as queries:
        run = run_sync_now()
    assert run.status == SyncRunStatus.SUCCEEDED, run.error
    assert run.counts_by_object["Contract"] == {"updated": len(opportunity_ids)}
    return len(queries.captured_queries)


def test_contract_changes_take_as_many_queries_for_twelve_contracts_as_for_three(
    sf_settings, sf_bookings
):
    account_id = sf_bookings.account()
    deals = [
        sf_bookings.deal(account_id=account_id, Name=f"Deal {i}", contact=i == 0) for i in range(15)
    ]
    run_sync_now()
    contract_history = Contract.history.filter(history_type="~").count()
    line_history = ContractLine.history.count()

    three = _synced_with_queries(sf_bookings, deals[:3], "A")
    twelve = _synced_with_queries(sf_bookings, deals[3:], "B")

    assert twelve <= three, (three, twelve)
    # A history row for each changed contract, each removed line and each new line.
    changed = Contract.history.filter(history_type="~").order_by("history_id")
    assert changed.count() - contract_history == 15
    assert {h.history_user.username for h in changed} == {SYNC_USERNAME}
    assert {h.history_change_reason for h in changed} == {"contract.updated"}
    assert ContractLine.history.filter(history_type="-").count() == 15
    assert ContractLine.history.count() - line_history == 30
    for index, sf_id in enumerate(deals[3:]):
        contract = Contract.objects.get(opportunity__salesforce_id=sf_id)
        assert contract.po_number == f"PO-B-{index}"
        assert contract.lines.get().quantity == Decimal(20 + index)
        assert contract.history.first().po_number == f"PO-B-{index}"
