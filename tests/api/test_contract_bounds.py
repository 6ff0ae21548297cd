"""Contract input bounds over the API: amounts that would overflow a derived column, dates
far from today, terms too long and texts longer than their column are refused with 400
naming the field, and nothing is saved."""

import pytest

from ordermgmt import roles
from ordermgmt.models import Contract, ContractLine
from tests.factories import AccountFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    return client


def contract_body(**overrides):
    line = {"product": ProductFactory().pk, "quantity": "10", "unit_price": "1200"}
    line.update(overrides.pop("line", {}))
    body = {
        "name": "Annual platform deal",
        "account": AccountFactory().pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "USD",
        "lines": [line],
    }
    body.update(overrides)
    return body


def create(api, body):
    return api.post("/api/v1/contracts/", body, content_type="application/json")


def assert_refused(response, field, code):
    assert response.status_code == 400, response.content
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    assert not Contract.objects.exists()
    assert not ContractLine.objects.exists()


def test_a_line_whose_net_amount_cannot_fit_is_refused_before_anything_is_saved(api):
    body = contract_body(line={"quantity": "999999999999999", "unit_price": "999999999999.999999"})
    assert_refused(create(api, body), "lines[0].unit_price", "amount_too_large")


def test_the_contract_list_keeps_answering_after_a_refused_huge_line(api):
    create(api, contract_body(line={"quantity": "999999999999999", "unit_price": "999999999999"}))
    assert api.get("/api/v1/contracts/").status_code == 200


def test_a_contract_whose_total_over_the_term_exceeds_the_ceiling_is_refused(api, settings):
    settings.LEDGERLINE_MAX_CONTRACT_VALUE = "1000000"
    body = contract_body(
        end_date="2027-12-31", line={"quantity": "1", "unit_price": "600000"}
    )  # two years of 600,000
    assert_refused(create(api, body), "lines[0].unit_price", "amount_too_large")


def test_a_contract_at_the_ceiling_is_accepted(api, settings):
    settings.LEDGERLINE_MAX_CONTRACT_VALUE = "1000000"
    body = contract_body(line={"quantity": "1", "unit_price": "1000000"})
    assert create(api, body).status_code == 201


def test_a_contract_starting_in_year_one_is_refused(api):
    body = contract_body(start_date="0001-01-01", end_date="0001-12-31")
    assert_refused(create(api, body), "start_date", "before_floor")


def test_a_contract_starting_centuries_ahead_is_refused(api):
    body = contract_body(start_date="4902-06-11", end_date="4903-06-10")
    assert_refused(create(api, body), "start_date", "too_far_ahead")


def test_a_contract_running_to_9999_is_refused_as_too_long(api):
    assert_refused(create(api, contract_body(end_date="9999-12-31")), "end_date", "term_too_long")


def test_the_maximum_term_is_a_setting(api, settings):
    settings.LEDGERLINE_CONTRACT_MAX_TERM_YEARS = 1
    assert_refused(create(api, contract_body(end_date="2027-01-02")), "end_date", "term_too_long")


def test_a_line_description_longer_than_its_column_is_refused_naming_the_line(api):
    body = contract_body(line={"description": "x" * 201})
    assert_refused(create(api, body), "lines[0].description", "max_length")


def test_a_contract_name_longer_than_its_column_is_refused(api):
    assert_refused(create(api, contract_body(name="n" * 201)), "name", "max_length")


def test_a_contract_stored_before_the_bounds_with_an_overflowing_line_does_not_break_any_page(
    api, admin_client
):
    # A line saved before the bounds existed (written here behind the service's back):
    # 999,999,999,999,999 × 999,999,999,999.999999 has 27 integer digits, more than the
    # default 28-digit decimal context can round to four places.
    response = create(api, contract_body())
    assert response.status_code == 201, response.content
    contract = Contract.objects.get()
    contract.lines.update(quantity="999999999999999", unit_price="999999999999.999999")

    detail = api.get(f"/api/v1/contracts/{contract.pk}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()["lines"][0]["net_amount"] == "999999999999998999000000000.0000"
    assert api.get("/api/v1/contracts/").status_code == 200

    changelist = admin_client.get("/admin/ordermgmt/contract/")
    assert changelist.status_code == 200
    assert "999,999,999,999,998,999,000,000,000.00" in changelist.content.decode()
    assert admin_client.get(f"/admin/ordermgmt/contract/{contract.pk}/change/").status_code == 200
