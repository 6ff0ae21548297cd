"""The deterministic seed and the /_sim/ control API of a running simulator."""

from __future__ import annotations

from collections import Counter

from simple_salesforce import Salesforce

from integrations.salesforce.simulator import Clock
from integrations.salesforce.simulator.testing import SimulatorHarness, running_simulator

from .conftest import FROZEN_AT

OPPORTUNITIES_WITH_LINES = (
    "SELECT Id, Name, Account.Name, StageName, CloseDate, Amount, CurrencyIsoCode, "
    "Contract_Start_Date__c, Contract_End_Date__c, Billing_Frequency__c, Payment_Terms__c, "
    "PO_Number__c, SystemModstamp, (SELECT Id, Quantity, UnitPrice, TotalPrice, Discount, "
    "Product2.ProductCode FROM OpportunityLineItems) FROM Opportunity"
)


def seeded_records(seed: int) -> list[dict]:
    with running_simulator(clock=Clock(FROZEN_AT)) as sim:
        sim.seed(accounts=8, opportunities=30, lines_per_opportunity=2, seed=seed)
        return sim.salesforce().query_all(OPPORTUNITIES_WITH_LINES)["records"]


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    first, again, other = seeded_records(42), seeded_records(42), seeded_records(43)

    assert len(first) == 30
    assert first == again
    assert first != other


def test_seed_produces_won_and_other_deals_in_four_currencies_with_lines(
    sf_sim: SimulatorHarness, sf: Salesforce
):
    summary = sf_sim.seed(accounts=40, opportunities=200, lines_per_opportunity=3, seed=7)

    records = sf.query_all(OPPORTUNITIES_WITH_LINES)["records"]
    stages = Counter(r["StageName"] for r in records)
    won = [r for r in records if r["StageName"] == "Closed Won"]

    assert len(records) == len(summary.opportunities) == 200
    assert summary.line_items == 600
    assert {r["CurrencyIsoCode"] for r in records} == {"USD", "EUR", "GBP", "JPY"}
    assert stages["Closed Won"] > 80 and stages["Closed Lost"] > 0 and len(stages) > 3
    assert all(r["OpportunityLineItems"]["totalSize"] == 3 for r in records)
    assert all(
        r["Amount"] == sum(line["TotalPrice"] for line in r["OpportunityLineItems"]["records"])
        for r in won
    )
    assert all(r["Contract_Start_Date__c"] and r["Payment_Terms__c"] for r in won)
    jpy_prices = [
        line["UnitPrice"]
        for r in records
        if r["CurrencyIsoCode"] == "JPY"
        for line in r["OpportunityLineItems"]["records"]
    ]
    assert jpy_prices and all(price == int(price) for price in jpy_prices)


def test_control_api_resets_seeds_creates_and_injects_faults(
    sf_sim: SimulatorHarness, sf: Salesforce
):
    http = sf_sim.session
    base = f"{sf_sim.url}/_sim"

    seeded = http.post(f"{base}/seed", json={"accounts": 3, "opportunities": 5, "seed": 1})
    created = http.post(f"{base}/records/Account", json={"Name": "Made Over HTTP"})
    updated = http.patch(
        f"{base}/records/Account/{created.json()['id']}", json={"BillingCity": "Leeds"}
    )
    fault = http.post(f"{base}/faults", json={"count": 1, "status": 503})
    failed = http.get(
        f"{sf_sim.url}/services/data/v59.0/limits",
        headers={"Authorization": f"Bearer {sf_sim.issue_session()}"},
    )
    log = http.get(f"{base}/requests").json()
    session = http.post(f"{base}/session").json()

    assert seeded.json()["opportunities"] == 5
    assert updated.json()["BillingCity"] == "Leeds"
    assert fault.ok and failed.status_code == 503
    assert log["count"] == 1 and log["recent"][0]["status"] == 503
    assert (
        Salesforce(
            instance_url=session["instance_url"], session_id=session["session_id"], session=http
        ).query("SELECT Id FROM Account")["totalSize"]
        == 4
    )

    assert http.post(f"{base}/reset").ok
    assert sf.query("SELECT COUNT() FROM Opportunity")["totalSize"] == 0
