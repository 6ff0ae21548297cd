"""The deal desk queue page and the review list API read one filter definition
(ordermgmt/dealdesk/filters.py): the same parameters give the same reviews in the same
order, under the page's names and the API's."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ordermgmt import roles, services
from ordermgmt.models import DealDeskReview
from tests.factories import UserFactory
from tests.ordermgmt.dealdesk_factories import (
    flagged_contract,
    priced_product,
    standard_contract,
    standard_line,
)

pytestmark = pytest.mark.django_db
QUEUE = reverse("dealdesk:queue")
REVIEWS = "/api/v1/dealdesk/reviews/"


def review_of(contract) -> DealDeskReview:
    return contract.deal_desk_reviews.latest("opened_at")


def page_ids(client, params) -> list[int]:
    response = client.get(QUEUE, params)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'data-review="(\d+)"', response.content.decode())]


def api_ids(client, params) -> list[int]:
    response = client.get(REVIEWS, params)
    assert response.status_code == 200, response.content
    return [r["id"] for r in response.json()["results"]]


@pytest.fixture
def book(client, specialist):
    """Open reviews that differ in flag, owner, age, value, currency and SLA; one
    auto-approved review; the desk signed in."""
    other_owner = UserFactory(role=roles.ORDER_SPECIALIST)
    submit = services.submit_contract
    net90 = submit(contract=flagged_contract(actor=specialist), actor=specialist)
    renewal = submit(
        contract=standard_contract(auto_renew=True, actor=other_owner), actor=other_owner
    )
    big = submit(
        contract=standard_contract(lines=[standard_line(quantity=Decimal(250))]), actor=None
    )
    eur = submit(
        contract=flagged_contract(
            currency="EUR", lines=[standard_line(priced_product(currency="EUR"))]
        ),
        actor=None,
    )
    auto = submit(contract=standard_contract(), actor=None)
    DealDeskReview.objects.filter(contract=net90).update(
        opened_at=timezone.now() - timedelta(days=5),
        sla_due_at=timezone.now() - timedelta(hours=3),
    )
    client.force_login(UserFactory(role=roles.DEAL_DESK))
    return {
        "net90": review_of(net90),
        "renewal": review_of(renewal),
        "big": review_of(big),
        "eur": review_of(eur),
        "auto": review_of(auto),
        "other_owner": other_owner,
    }


COMBINATIONS = [
    ({"status": "open"}, {"net90", "renewal", "big", "eur"}),
    ({"status": "all"}, {"net90", "renewal", "big", "eur", "auto"}),
    ({"status": "auto_approved"}, {"auto"}),
    ({"status": "all", "flag": "auto_renewal"}, {"renewal"}),
    ({"status": "open", "rule_type": "contract_value"}, {"big"}),
    ({"status": "open", "owner": "other_owner"}, {"renewal"}),
    ({"status": "all", "age": "3"}, {"net90"}),
    ({"status": "open", "min_value": "100000"}, {"big"}),
    ({"status": "open", "max_value": "12000", "currency": "EUR"}, {"eur"}),
    ({"status": "open", "overdue": "on"}, {"net90"}),
    ({"status": "open", "overdue": "true", "currency": "USD"}, {"net90"}),
    ({"status": "open", "overdue": "false", "currency": "EUR"}, {"eur"}),
    ({"status": "open", "sort": "-value"}, {"net90", "renewal", "big", "eur"}),
    ({"status": "all", "sort": "age"}, {"net90", "renewal", "big", "eur", "auto"}),
    ({"status": "open", "sort": "-flags", "currency": "USD"}, {"net90", "renewal", "big"}),
    ({"status": "open", "sort": "contract"}, {"net90", "renewal", "big", "eur"}),
]


@pytest.mark.parametrize(("params", "expected"), COMBINATIONS)
def test_the_queue_page_and_the_api_list_the_same_reviews_for_the_same_filters(
    client, book, params, expected
):
    params = {
        name: book["other_owner"].pk if value == "other_owner" else value
        for name, value in params.items()
    }
    on_page = page_ids(client, params)
    from_api = api_ids(client, params)
    assert on_page == from_api
    assert set(on_page) == {book[name].pk for name in expected}


def test_the_queue_and_the_api_sort_by_the_page_columns_with_the_page_default(client, book):
    by_value = page_ids(client, {"sort": "-value"})
    assert by_value[0] == book["big"].pk
    assert api_ids(client, {"status": "open", "sort": "-value"}) == by_value
    oldest_first = page_ids(client, {"sort": "age"})
    assert oldest_first[0] == book["net90"].pk
    assert api_ids(client, {"status": "open", "sort": "age"}) == oldest_first
    by_sla = page_ids(client, {})
    assert by_sla[0] == book["net90"].pk  # past its SLA: due first
    assert api_ids(client, {"status": "open", "sort": "sla"}) == by_sla


def test_a_missing_status_is_open_on_the_page_and_every_status_in_the_api(client, book):
    assert book["auto"].pk not in page_ids(client, {})
    assert book["auto"].pk in api_ids(client, {})
    assert page_ids(client, {}) == api_ids(client, {"status": "open"})
