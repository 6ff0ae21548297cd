"""Fixtures for talking to the Salesforce simulator through simple-salesforce.

`sf_sim` is a fresh simulator per test (HTTPS on a free 127.0.0.1 port, clock frozen at
FROZEN_AT, 2000-record pages; set `sf_sim.batch_size = 3` to exercise pagination).
`sf` is a simple_salesforce.Salesforce connected to it with a session id.
Neither needs the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from simple_salesforce import Salesforce

from integrations.salesforce.simulator import Clock
from integrations.salesforce.simulator.testing import SimulatorHarness, running_simulator

FROZEN_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sf_sim() -> Iterator[SimulatorHarness]:
    with running_simulator(clock=Clock(FROZEN_AT)) as sim:
        yield sim


@pytest.fixture
def sf(sf_sim: SimulatorHarness) -> Salesforce:
    return sf_sim.salesforce()


class SimRecords:
    """Minimal valid records inserted straight into the simulator's store."""

    def __init__(self, sim: SimulatorHarness) -> None:
        self.store = sim.store

    def account(self, **fields: object) -> str:
        values = {"Name": "Acme Corp", "CurrencyIsoCode": "USD", **fields}
        return self.store.insert("Account", values)["Id"]

    def product(self, **fields: object) -> str:
        values = {"Name": "Platform Seat", "ProductCode": "SEAT", **fields}
        return self.store.insert("Product2", values)["Id"]

    def opportunity(self, **fields: object) -> str:
        if "AccountId" not in fields:
            fields["AccountId"] = self.account()
        values = {
            "Name": "Acme - New Business",
            "StageName": "Closed Won",
            "CloseDate": "2026-02-27",
            **fields,
        }
        return self.store.insert("Opportunity", values)["Id"]

    def line(self, opportunity_id: str, **fields: object) -> str:
        if "Product2Id" not in fields:
            fields["Product2Id"] = self.product()
        values = {"OpportunityId": opportunity_id, "Quantity": 10, "UnitPrice": "100.00", **fields}
        return self.store.insert("OpportunityLineItem", values)["Id"]


@pytest.fixture
def sf_records(sf_sim: SimulatorHarness) -> SimRecords:
    return SimRecords(sf_sim)
