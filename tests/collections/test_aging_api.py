"""REST API of the AR reports: shapes, parameters, permissions, OpenAPI schema."""

from datetime import date

import pytest

from ordermgmt import roles
from tests.collections.test_aging_book import issued_invoice, later_events, worked_example_book
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
AGING = "/api/v1/reports/ar-aging/"
DSO = "/api/v1/reports/dso/"


def api(client, role):
    client.force_login(UserFactory(role=role))
    return client


def test_the_aging_answers_per_currency_and_customer_with_bucket_keys(client):
    book = worked_example_book()
    body = api(client, roles.FINANCE).get(AGING, {"as_of": "2026-03-31"}).json()
    assert [b["key"] for b in body["buckets"]] == [
        "current", "d1_30", "d31_60", "d61_90", "d91_120", "over_120",
    ]  # fmt: skip
    assert body["buckets"][1] == {"key": "d1_30", "label": "1–30", "from_days": 1, "to_days": 30}
    (usd,) = body["currencies"]
    (row,) = usd["rows"]
    assert row["account_id"] == book.account.pk
    assert row["buckets"] == {
        "current": "500.00", "d1_30": "1700.00", "d31_60": "400.00", "d61_90": "0.00",
        "d91_120": "0.00", "over_120": "2000.00",
    }  # fmt: skip
    assert (row["unapplied_credits"], row["open_total"], row["net_total"]) == (
        "-900.00", "4600.00", "3700.00",
    )  # fmt: skip
    assert body["reporting_total"]["net_total"] == "3700.00"
    assert body["reporting_total"]["rates"] == [
        {"currency": "USD", "reporting_currency": "USD", "rate": "1", "rate_date": None}
    ]
    assert body["warnings"] == []


def test_a_customer_without_cash_shows_zero_credits_not_minus_zero(client):
    issued_invoice(AccountFactory(), "100.00", date(2026, 3, 1))
    body = api(client, roles.FINANCE).get(AGING, {"as_of": "2026-03-31"}).json()
    assert body["currencies"][0]["rows"][0]["unapplied_credits"] == "0.00"


def test_basis_edges_and_currency_parameters(client):
    book = worked_example_book()
    later_events(book)
    body = (
        api(client, roles.AUDITOR)
        .get(AGING, {"as_of": "2026-03-31", "basis": "invoice_date", "edges": "15,45"})
        .json()
    )
    assert body["basis"] == "invoice_date" and body["edges"] == [15, 45]
    assert body["currencies"][0]["rows"][0]["buckets"] == {
        "current": "0.00", "d1_15": "500.00", "d16_45": "0.00", "over_45": "4100.00",
    }  # fmt: skip
    assert client.get(AGING, {"as_of": "2026-03-31", "currency": "EUR"}).json()["currencies"] == []


def test_bad_parameters_give_400_with_field_and_code(client):
    response = api(client, roles.FINANCE).get(AGING, {"edges": "90,30"})
    assert response.status_code == 400
    assert response.json()["field"] == "edges" and response.json()["code"] == "not_increasing"
    assert client.get(AGING, {"basis": "posting_date"}).status_code == 400
    assert client.get(AGING, {"as_of": "31/03/2026"}).status_code == 400


def test_one_customers_documents(client):
    book = worked_example_book()
    body = (
        api(client, roles.ORDER_SPECIALIST)
        .get(f"{AGING}accounts/{book.account.pk}/", {"as_of": "2026-03-31"})
        .json()
    )
    assert body["account_name"] == "Acme Corp"
    documents = {d["reference"]: d for d in body["documents"]}
    assert documents[book.d.number]["days"] == 151
    assert documents[book.d.number]["bucket"] == "over_120"
    assert documents[book.d.number]["open_amount"] == "2000.00"
    assert documents["WIRE-P1"]["bucket"] == "unapplied_credits"
    assert documents["WIRE-P1"]["open_amount"] == "-900.00"


def test_dso_answers_simple_and_countback_with_steps(client):
    worked_example_book()
    body = (
        api(client, roles.FINANCE)
        .get(
            DSO,
            {"start": "2026-01-01", "end": "2026-03-31", "method": "countback", "trend": "true"},
        )
        .json()
    )
    assert body["days"] == 90 and body["currency"] == "USD"
    # Net AR 3,700.00; Q1 sales 1,000 + 2,000 + 500 - 300 credit note = 3,200.00.
    assert (body["ending_ar"], body["credit_sales"]) == ("3700.00", "3200.00")
    assert body["simple_dso"] == "104.06"  # 3,700 / 3,200 x 90
    assert body["dso"] == body["countback_dso"]
    assert body["countback_steps"][0]["month"] == "2026-03-01"
    assert len(body["trend"]) == 12


@pytest.mark.parametrize(
    ("role", "aging", "dso"),
    [
        (roles.FINANCE, 200, 200),
        (roles.AUDITOR, 200, 200),
        (roles.ADMIN, 200, 200),
        (roles.ORDER_SPECIALIST, 200, 403),
        (roles.DEAL_DESK, 403, 403),
    ],
)
def test_role_checks(client, role, aging, dso):
    api(client, role)
    assert client.get(AGING).status_code == aging
    assert client.get(DSO, {"start": "2026-01-01", "end": "2026-01-31"}).status_code == dso


def test_anonymous_calls_are_refused(client):
    assert client.get(AGING).status_code in {401, 403}
    assert client.get(DSO).status_code in {401, 403}


def test_the_endpoints_are_in_the_openapi_schema(client):
    schema = api(client, roles.FINANCE).get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/reports/ar-aging/" in paths
    assert "/api/v1/reports/ar-aging/accounts/{account_id}/" in paths
    assert "/api/v1/reports/dso/" in paths
    names = {p["name"] for p in paths["/api/v1/reports/ar-aging/"]["get"]["parameters"]}
    assert {"as_of", "basis", "edges", "currency"} <= names
    dso_names = {p["name"] for p in paths["/api/v1/reports/dso/"]["get"]["parameters"]}
    assert {"start", "end", "method", "ar_basis"} <= dso_names
