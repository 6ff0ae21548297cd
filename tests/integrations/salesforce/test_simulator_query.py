"""SOQL queries against the simulator, through simple-salesforce over HTTPS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from integrations.salesforce.simulator.testing import SimulatorHarness

from .conftest import SimRecords


def query_continuations(sim: SimulatorHarness) -> list[str]:
    prefix = "/services/data/v59.0/query/01g"
    return [e["path"] for e in sim.request_log if e["path"].startswith(prefix)]


def test_query_all_follows_next_records_url_across_pages(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    sf_sim.batch_size = 3
    created = {sf_records.account(Name=f"Account {n}") for n in range(10)}

    first_page = sf.query("SELECT Id FROM Account")
    everything = sf.query_all("SELECT Id, Name FROM Account")

    assert first_page["done"] is False
    assert len(first_page["records"]) == 3
    assert first_page["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert first_page["nextRecordsUrl"].endswith("-3")
    assert {r["Id"] for r in everything["records"]} == created
    assert everything["totalSize"] == 10
    # query_all: one query then three continuations (3 + 3 + 3 + 1).
    assert [p.rsplit("-", 1)[1] for p in query_continuations(sf_sim)] == ["3", "6", "9"]


def test_where_on_system_modstamp_returns_only_records_changed_after_the_literal(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    ids = [sf_records.opportunity(Name=f"Deal {n}") for n in range(5)]
    sf_sim.store.clock.advance(timedelta(minutes=1))  # now 09:01:00Z
    sf_sim.store.update("Opportunity", ids[1], {"PO_Number__c": "PO-1"})
    sf_sim.store.update("Opportunity", ids[3], {"PO_Number__c": "PO-3"})

    result = sf.query_all("SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-03-02T09:01:00Z")
    with_offset = sf.query_all(
        "SELECT Id FROM Opportunity WHERE SystemModstamp >= 2026-03-02T10:01:00+01:00"
    )

    assert {r["Id"] for r in result["records"]} == {ids[1], ids[3]}
    assert {r["Id"] for r in with_offset["records"]} == {ids[1], ids[3]}


def test_child_subquery_returns_line_items_and_parent_fields(
    sf: Salesforce, sf_records: SimRecords
):
    account_id = sf_records.account(Name="Northwind GmbH")
    with_lines = sf_records.opportunity(AccountId=account_id, Name="Northwind - Renewal")
    product_id = sf_records.product(Name="Analytics", ProductCode="LL-ANALYTICS")
    line_id = sf_records.line(with_lines, Product2Id=product_id, Quantity=3, UnitPrice="250")
    sf_records.opportunity(AccountId=account_id, Name="Northwind - Lost")

    records = sf.query_all(
        "SELECT Id, Name, Account.Name, Owner.Name, Amount, (SELECT Id, Quantity, TotalPrice, "
        "Product2.ProductCode, Product2.Name FROM OpportunityLineItems) "
        "FROM Opportunity ORDER BY Name DESC"
    )["records"]

    renewal, lost = records
    assert renewal["Account"]["Name"] == "Northwind GmbH"
    assert renewal["Owner"]["Name"] == "Integration User"
    assert renewal["Amount"] == 750.0
    lines = renewal["OpportunityLineItems"]
    assert (lines["totalSize"], lines["done"]) == (1, True)
    assert lines["records"][0]["Id"] == line_id
    assert lines["records"][0]["Product2"] == {
        "attributes": {
            "type": "Product2",
            "url": f"/services/data/v59.0/sobjects/Product2/{product_id}",
        },
        "ProductCode": "LL-ANALYTICS",
        "Name": "Analytics",
    }
    assert lost["OpportunityLineItems"] is None


def test_query_all_with_include_deleted_returns_deleted_records(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    kept = sf_records.opportunity(Name="Kept")
    gone = sf_records.opportunity(Name="Gone")
    sf.Opportunity.delete(gone)

    live = sf.query_all("SELECT Id, IsDeleted FROM Opportunity")
    everything = sf.query_all("SELECT Id, IsDeleted FROM Opportunity", include_deleted=True)

    assert [r["Id"] for r in live["records"]] == [kept]
    assert {r["Id"]: r["IsDeleted"] for r in everything["records"]} == {kept: False, gone: True}
    assert any("/queryAll/" in e["path"] for e in sf_sim.request_log)


def test_where_combines_in_like_not_and_parentheses(sf: Salesforce, sf_records: SimRecords):
    eur = sf_records.opportunity(Name="Alpha EUR", CurrencyIsoCode="EUR", Amount=100)
    sf_records.opportunity(Name="Beta USD", CurrencyIsoCode="USD", Amount=900)
    gbp = sf_records.opportunity(
        Name="alpha GBP", CurrencyIsoCode="GBP", Amount=50, StageName="Negotiation/Review"
    )
    jpy = sf_records.opportunity(Name="Gamma JPY", CurrencyIsoCode="JPY", Amount=10000)

    soql = (
        "SELECT Id FROM Opportunity WHERE (Name LIKE 'alpha%' OR Amount > 5000) "
        "AND CurrencyIsoCode NOT IN ('USD') AND NOT (IsClosed = true AND Amount < 60)"
    )
    matched = {r["Id"] for r in sf.query_all(soql)["records"]}
    open_deals = sf.query_all("SELECT Id FROM Opportunity WHERE IsClosed = false")

    assert matched == {eur, gbp, jpy}
    assert [r["Id"] for r in open_deals["records"]] == [gbp]


def test_order_by_limit_and_count(sf: Salesforce, sf_records: SimRecords):
    for name, amount in [("B", 20), ("A", 30), ("C", None)]:
        sf_records.opportunity(Name=name, Amount=amount)

    ordered = sf.query("SELECT Name FROM Opportunity ORDER BY Amount DESC NULLS LAST LIMIT 2")
    counted = sf.query("SELECT COUNT() FROM Opportunity WHERE Amount != null")

    assert [r["Name"] for r in ordered["records"]] == ["A", "B"]
    assert (counted["totalSize"], counted["records"]) == (2, [])


def test_string_literals_with_escaped_quotes_match(sf: Salesforce, sf_records: SimRecords):
    account_id = sf_records.account(Name="O'Malley Freight Ltd")

    result = sf.query("SELECT Id FROM Account WHERE Name = 'O\\'Malley Freight Ltd'")

    assert [r["Id"] for r in result["records"]] == [account_id]


@pytest.mark.parametrize(
    ("soql", "error_code"),
    [
        ("SELECT Id, Colour__c FROM Opportunity", "INVALID_FIELD"),
        ("SELECT Id FROM Opportunity WHERE Acount.Name = 'x'", "INVALID_FIELD"),
        ("SELECT Id FROM Invoice__c", "INVALID_TYPE"),
        ("SELECT Id, (SELECT Id FROM Lines) FROM Opportunity", "INVALID_TYPE"),
        ("SELECT Id FROM Opportunity WHERE", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Opportunity WHERE IsWon = true AND Amount > 1 OR Amount < 0",
            "MALFORMED_QUERY",
        ),
        (
            "SELECT Id FROM Opportunity WHERE SystemModstamp > 2026-01-31T10:00:00",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id FROM Opportunity WHERE CloseDate = '2026-01-31'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Opportunity GROUP BY StageName", "MALFORMED_QUERY"),
    ],
)
def test_bad_queries_raise_malformed_request_with_salesforce_error_code(
    sf: Salesforce, soql: str, error_code: str
):
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(soql)

    assert err.value.status == 400
    assert err.value.content[0]["errorCode"] == error_code


def test_unknown_query_locator_is_rejected(sf: Salesforce):
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query_more("01g5g0000000000-2000")

    assert err.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_bulk2_query_pages_csv_by_locator(sf: Salesforce, sf_records: SimRecords):
    account_id = sf_records.account(Name='Quote "Co", Ltd')
    ids = [sf_records.opportunity(AccountId=account_id, Name=f"Deal {n}") for n in range(5)]

    pages = list(
        sf.bulk2.Opportunity.query(
            "SELECT Id, Account.Name, IsWon, CloseDate FROM Opportunity", max_records=3, wait=0
        )
    )

    assert len(pages) == 2
    rows = [line for page in pages for line in page.splitlines()[1:]]
    assert pages[0].splitlines()[0] == '"Id","Account.Name","IsWon","CloseDate"'
    assert rows[0] == f'"{ids[0]}","Quote ""Co"", Ltd","true","2026-02-27"'
    assert len(rows) == 5


def test_semi_join_relative_dates_and_15_character_ids(sf: Salesforce, sf_records: SimRecords):
    buyer = sf_records.account(Name="Buyer")
    sf_records.account(Name="Prospect")
    recent = sf_records.opportunity(AccountId=buyer, CloseDate="2026-02-27")
    sf_records.opportunity(AccountId=buyer, CloseDate="2025-06-30")

    buyers = sf.query("SELECT Name FROM Account WHERE Id IN (SELECT AccountId FROM Opportunity)")
    last_week = sf.query("SELECT Id FROM Opportunity WHERE CloseDate = LAST_N_DAYS:7")
    by_short_id = sf.query(f"SELECT Id FROM Opportunity WHERE Id = '{recent[:15]}'")

    assert [r["Name"] for r in buyers["records"]] == ["Buyer"]
    assert [r["Id"] for r in last_week["records"]] == [recent]  # clock: 2026-03-02
    assert [r["Id"] for r in by_short_id["records"]] == [recent]


def test_a_large_child_result_is_paged_with_its_own_next_records_url(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    sf_sim.child_batch_size = 2
    deal = sf_records.opportunity(Name="Big deal")
    product_id = sf_records.product()
    line_ids = [sf_records.line(deal, Product2Id=product_id) for _ in range(5)]

    lines = sf.query("SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity")[
        "records"
    ][0]["OpportunityLineItems"]
    second = sf.query_more(lines["nextRecordsUrl"], identifier_is_url=True)
    third = sf.query_more(second["nextRecordsUrl"], identifier_is_url=True)

    assert (lines["totalSize"], lines["done"], len(lines["records"])) == (5, False, 2)
    assert lines["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    assert (second["done"], third["done"]) == (False, True)
    assert "nextRecordsUrl" not in third
    assert [r["Id"] for r in lines["records"] + second["records"] + third["records"]] == line_ids


def test_the_parents_next_page_invalidates_the_previous_pages_child_cursors(
    sf_sim: SimulatorHarness, sf: Salesforce, sf_records: SimRecords
):
    sf_sim.batch_size, sf_sim.child_batch_size = 1, 1
    for name in ("A", "B"):
        deal = sf_records.opportunity(Name=name)
        sf_records.line(deal)
        sf_records.line(deal)

    first = sf.query("SELECT Id, (SELECT Id FROM OpportunityLineItems) FROM Opportunity")
    child_url = first["records"][0]["OpportunityLineItems"]["nextRecordsUrl"]
    sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)

    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.query_more(child_url, identifier_is_url=True)
    assert refused.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
