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
def org_options() -> dict[str, object]:
    """The simulated org's shape (multi_currency, default_currency, without_fields);
    parametrize a test with `org_options` for another org."""
    return {}


@pytest.fixture
def sf_sim(org_options: dict[str, object]) -> Iterator[SimulatorHarness]:
    with running_simulator(clock=Clock(FROZEN_AT), **org_options) as sim:
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


# --- Booking sync (test_sync_*.py) ----------------------------------------------------------


@pytest.fixture
def sf_settings(settings, sf_sim: SimulatorHarness):
    """Ledgerline's SALESFORCE_* settings pointing at the simulator (session-id auth)."""
    settings.SALESFORCE_INSTANCE_URL = sf_sim.url
    settings.SALESFORCE_SESSION_ID = sf_sim.issue_session()
    settings.SALESFORCE_CA_BUNDLE = str(sf_sim.cert_path)
    settings.SALESFORCE_USERNAME = ""
    settings.SALESFORCE_PASSWORD = ""
    settings.SALESFORCE_SECURITY_TOKEN = ""
    settings.SALESFORCE_DOMAIN = ""
    settings.SALESFORCE_TIMEOUT = 10
    return settings


@pytest.fixture
def sf_password_settings(sf_settings, sf_sim: SimulatorHarness):
    """The same, signing in with username, password and security token (SOAP login)."""
    credentials = sf_sim.credentials
    sf_settings.SALESFORCE_SESSION_ID = ""
    sf_settings.SALESFORCE_USERNAME = credentials.username
    sf_settings.SALESFORCE_PASSWORD = credentials.password
    sf_settings.SALESFORCE_SECURITY_TOKEN = credentials.security_token
    return sf_settings


class _OrgStore:
    """Inserts only the fields the simulated org has (CurrencyIsoCode needs multi-currency)."""

    def __init__(self, store) -> None:
        self._store = store

    def insert(self, obj_name: str, fields: dict[str, object]) -> dict[str, object]:
        return self._store.insert(obj_name, self._store.without_unknown(obj_name, fields))

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


class SimBookings:
    """Complete Closed Won deals in the simulated org: account with a billing address,
    billing contact, products, line items, contract dates and billing terms."""

    def __init__(self, sim: SimulatorHarness) -> None:
        self.sim = sim
        self.store = _OrgStore(sim.store)
        self._products: dict[str, str] = {}

    def product(self, code: str = "LL-SEAT", **fields: object) -> str:
        if code in self._products and not fields:
            return self._products[code]
        values = {
            "Name": f"Product {code}",
            "ProductCode": code,
            "Family": "Platform",
            "Revenue_Type__c": "Subscription",
            "IsActive": True,
            **fields,
        }
        self._products[code] = self.store.insert("Product2", values)["Id"]
        return self._products[code]

    def account(self, **fields: object) -> str:
        values = {
            "Name": "Northwind Logistics Inc.",
            "BillingStreet": "100 Market Street\nSuite 400",
            "BillingCity": "San Francisco",
            "BillingState": "CA",
            "BillingPostalCode": "94105",
            "BillingCountry": "United States",
            "CurrencyIsoCode": "USD",
            "Tax_Id__c": "12-3456789",
            **fields,
        }
        return self.store.insert("Account", values)["Id"]

    def contact(self, account_id: str, **fields: object) -> str:
        values = {
            "AccountId": account_id,
            "FirstName": "Ana",
            "LastName": "Costa",
            "Email": "ana.costa@northwind.example",
            "Phone": "+1 555 100 2000",
            "Billing_Contact__c": True,
            **fields,
        }
        return self.store.insert("Contact", values)["Id"]

    def deal(
        self,
        *,
        account_id: str | None = None,
        lines: list[tuple[str, object, object, object]] | None = None,
        contact: bool = True,
        **fields: object,
    ) -> str:
        """A Closed Won opportunity. lines: (product code, quantity, unit price, discount)."""
        account_id = account_id or self.account()
        contact_id = self.contact(account_id) if contact else None
        values = {
            "AccountId": account_id,
            "Name": "Northwind - New Business 2026",
            "StageName": "Closed Won",
            "CloseDate": "2026-02-20",
            "CurrencyIsoCode": "USD",
            "Contract_Start_Date__c": "2026-03-01",
            "Contract_End_Date__c": "2027-02-28",
            "Billing_Frequency__c": "Annual",
            "Payment_Terms__c": "Net 30",
            "PO_Number__c": "PO-10001",
            "Billing_Contact__c": contact_id,
            **fields,
        }
        opportunity_id = self.store.insert("Opportunity", values)["Id"]
        if lines is None:
            lines = [("LL-SEAT", 10, "1200.00", None)]
        for code, quantity, price, discount in lines:
            self.store.insert(
                "OpportunityLineItem",
                {
                    "OpportunityId": opportunity_id,
                    "Product2Id": self.product(code),
                    "Quantity": quantity,
                    "UnitPrice": price,
                    "Discount": discount,
                },
            )
        return opportunity_id


@pytest.fixture
def sf_bookings(sf_sim: SimulatorHarness) -> SimBookings:
    return SimBookings(sf_sim)
