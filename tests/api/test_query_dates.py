"""Dates and date-times in query parameters: out-of-range values get 400 naming the
parameter, never a 500 from the database or from date arithmetic."""

import pytest

from ordermgmt import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    client.force_login(UserFactory(role=roles.ADMIN))
    return client


def assert_400(response, field):
    assert response.status_code == 400, response.content
    assert (response.json()["field"], response.json()["code"]) == (field, "out_of_range")


def test_ar_aging_as_of_year_one_is_refused_naming_as_of(api):
    assert_400(api.get("/api/v1/reports/ar-aging/?as_of=0001-01-01"), "as_of")


def test_ar_aging_as_of_year_9999_is_refused_naming_as_of(api):
    assert_400(api.get("/api/v1/reports/ar-aging/?as_of=9999-12-31"), "as_of")


def test_ar_aging_as_of_a_normal_day_still_answers(api):
    assert api.get("/api/v1/reports/ar-aging/?as_of=2026-06-30").status_code == 200


def test_dso_with_a_start_in_year_one_is_refused_naming_start(api):
    assert_400(api.get("/api/v1/reports/dso/?start=0001-01-01&end=2026-06-30"), "start")


def test_a_date_time_filter_with_a_plus_16_offset_is_refused_naming_the_filter(api):
    url = "/api/v1/dealdesk/reviews/?opened_from=2026-08-27T19:11:03%2B16:00"
    assert_400(api.get(url), "opened_from")


def test_a_date_time_filter_with_a_real_offset_still_filters(api):
    url = "/api/v1/dealdesk/reviews/?opened_from=2026-08-27T19:11:03%2B14:00"
    assert api.get(url).status_code == 200
