"""REST API under /api/v1/revenue/: role checks, shapes, writes through the services."""

from datetime import date

import pytest

from billing.revenue.models import RevenueContractSettings
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import UserFactory, make_contract

from .helpers import D, activated, bill_and_issue, line, lines_of, obligations, product

pytestmark = pytest.mark.django_db
OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)


@pytest.fixture
def book():
    platform = product("72000", revenue_type=RevenueType.SUBSCRIPTION)
    setup = product("20000", revenue_type=RevenueType.PROFESSIONAL_SERVICES)
    contract = activated([line(platform, "60000"), line(setup, "15000")])
    bill_and_issue(date(2026, 1, 1))
    return contract


def client_for(client, role):
    client.force_login(UserFactory(role=role))
    return client


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/revenue/obligations/", {DD, FIN, AUD, ADM}),
        ("/api/v1/revenue/allocations/", {DD, FIN, AUD, ADM}),
        ("/api/v1/revenue/schedules/", {FIN, AUD, ADM}),
        ("/api/v1/revenue/balances/?as_of=2026-03-31", {FIN, AUD, ADM}),
        ("/api/v1/revenue/waterfall/?currency=USD&as_of=2026-03-31", {FIN, AUD, ADM}),
    ],
)
@pytest.mark.parametrize("role", [OS, DD, FIN, AUD, ADM])
def test_reads_are_role_checked(client, book, path, allowed, role):
    response = client_for(client, role).get(path)
    assert response.status_code == (200 if role in allowed else 403), (role, path)


def test_obligations_and_allocations_show_the_ssp_split(client, book):
    body = client_for(client, FIN).get(f"/api/v1/revenue/obligations/?contract={book.pk}").json()
    assert [o["allocated_amount"] for o in body["results"]] == ["58695.65", "16304.35"]
    assert body["results"][0]["pattern"] == "ratable"
    allocations = client.get(f"/api/v1/revenue/allocations/?contract={book.pk}").json()
    (allocation,) = allocations["results"]
    assert allocation["transaction_price"] == "75000.00"
    assert [line["allocated_amount"] for line in allocation["lines"]] == ["58695.65", "16304.35"]


def test_schedules_list_every_version_with_its_lines(client, book):
    body = (
        client_for(client, AUD)
        .get(
            f"/api/v1/revenue/schedules/?obligation__accounting_contract={book.pk}&is_current=true"
        )
        .json()
    )
    ratable = next(s for s in body["results"] if s["lines"])
    assert len(ratable["lines"]) == 12
    assert sum(D(line["amount"]) for line in ratable["lines"]) == D(ratable["total_amount"])


def test_balances_give_one_net_position_per_contract(client, book):
    (row,) = (
        client_for(client, FIN)
        .get(f"/api/v1/revenue/balances/?as_of=2026-01-31&contract={book.pk}")
        .json()
    )
    assert D(row["billed"]) == D("75000.00")
    assert D(row["contract_liability"]) == D(row["billed"]) - D(row["recognised"])
    assert D(row["contract_asset"]) == 0


def test_a_delivery_is_recorded_through_the_api_by_finance_only(client, book):
    setup = obligations(book)[1]
    path = f"/api/v1/revenue/obligations/{setup.pk}/deliveries/"
    payload = {"delivered_on": "2026-02-10", "reference": "GL-1", "kind": "acceptance"}
    denied = client_for(client, AUD).post(path, payload, content_type="application/json")
    assert denied.status_code == 403
    client.logout()
    created = client_for(client, FIN).post(path, payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["quantity"] == "1.0000"
    wrong = client.post(
        f"/api/v1/revenue/obligations/{obligations(book)[0].pk}/deliveries/",
        {"delivered_on": "2026-02-10", "reference": "GL-2"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert (wrong.json()["field"], wrong.json()["code"]) == ("obligation", "not_point_in_time")


def test_settings_are_set_through_the_api_before_activation(client):
    a, b, c = (product(s) for s in ("40", "55", "45"))
    contract = make_contract(lines=[line(a, "40"), line(b, "33"), line(c, "27")])
    path = f"/api/v1/revenue/settings/{contract.pk}/"
    payload = {"discount_exception": True, "discount_lines": [x.pk for x in lines_of(contract)[1:]]}
    assert (
        client_for(client, AUD).patch(path, payload, content_type="application/json").status_code
        == 403
    )
    client.logout()
    response = client_for(client, FIN).patch(path, payload, content_type="application/json")
    assert response.status_code == 200, response.content
    settings = RevenueContractSettings.objects.get(contract=contract)
    assert settings.discount_exception and settings.discount_lines.count() == 2
    assert settings.history.first().history_user is not None


def test_settings_refuse_a_change_once_revenue_is_built(client, book):
    response = client_for(client, FIN).patch(
        f"/api/v1/revenue/settings/{book.pk}/",
        {"ramp_policy": "as_invoiced"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "locked_after_inception"


def test_a_modification_decision_through_the_api(client, book):
    platform = obligations(book)[0].product
    amendment = activated(
        [line(platform, "72000", quantity="1")],
        kind="amendment",
        original=book,
        account=book.account,
        start_date=date(2026, 7, 1),
    )
    response = client_for(client, FIN).post(
        "/api/v1/revenue/modifications/",
        {"amendment": amendment.pk, "priced_at_ssp": True, "remaining_goods_distinct": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["treatment"] == "separate_contract"


def test_the_revenue_endpoints_are_in_the_openapi_schema(client):
    schema = client_for(client, FIN).get("/api/v1/schema/").content.decode()
    for path in [
        "/api/v1/revenue/obligations/",
        "/api/v1/revenue/allocations/",
        "/api/v1/revenue/schedules/",
        "/api/v1/revenue/balances/",
        "/api/v1/revenue/waterfall/",
        "/api/v1/revenue/settings/{contract_id}/",
        "/api/v1/revenue/modifications/",
    ]:
        assert path in schema
