"""API hygiene: anonymous calls get 401 with a challenge, every error body has the one
shape {field, code, message}, and a refused request is logged on one line."""

import logging

import pytest

from ordermgmt import roles
from ordermgmt.models import Account
from tests.factories import AccountFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

SHAPE = {"field", "code", "message"}


def test_an_anonymous_api_call_gets_401_with_a_www_authenticate_challenge(client):
    response = client.get("/api/v1/contracts/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert set(response.json()) == SHAPE
    assert response.json()["code"] == "not_authenticated"


def test_a_signed_in_user_without_the_role_still_gets_403(client):
    client.force_login(UserFactory())
    response = client.get("/api/v1/contracts/")
    assert response.status_code == 403
    assert (response.json()["field"], response.json()["code"]) == ("__all__", "permission_denied")


def test_a_serializer_error_has_the_same_shape_as_a_service_error(client):
    client.force_login(UserFactory(role=roles.ADMIN))
    response = client.post("/api/v1/accounts/", {}, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "field": "legal_name",
        "code": "required",
        "message": "This field is required.",
    }
    assert not Account.objects.exists()


def test_a_nested_input_error_names_the_line_and_its_field(client):
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    body = {
        "name": "Deal",
        "account": AccountFactory().pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "USD",
        "lines": [{"product": ProductFactory().pk, "quantity": "ten", "unit_price": "1"}],
    }
    response = client.post("/api/v1/contracts/", body, content_type="application/json")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("lines[0].quantity", "invalid")


def test_a_missing_record_answers_404_in_the_same_shape(client):
    client.force_login(UserFactory(role=roles.ADMIN))
    response = client.get("/api/v1/contracts/999999/")
    assert response.status_code == 404
    assert (response.json()["field"], response.json()["code"]) == ("__all__", "not_found")


def test_a_403_is_logged_as_one_line_without_a_traceback(client, caplog):
    client.force_login(UserFactory())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/dealdesk/").status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert "Traceback" not in caplog.text
