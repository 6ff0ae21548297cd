"""The admin's record-usage form takes a contract line by id with the admin's paged lookup,
so the page stays the same size however many usage lines the book has (issue 20)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import UsageRecord
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.factories import ProductFactory, UserFactory, active_contract, line_input

pytestmark = pytest.mark.django_db

ADD = "admin:billing_usagerecord_add"


def usage_contracts(product, count):
    return [
        active_contract(
            billing_frequency="monthly",
            lines=[line_input(product, quantity=Decimal(0), unit_price=Decimal("0.40"))],
        )
        for _ in range(count)
    ]


def form_page(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(ADD))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_form_page_does_not_grow_with_the_number_of_usage_lines(client):
    api_calls = ProductFactory(revenue_type=RevenueType.USAGE)
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    usage_contracts(api_calls, 1)
    small, small_queries = form_page(client)
    usage_contracts(api_calls, 6)
    large, large_queries = form_page(client)
    assert large_queries == small_queries
    assert abs(len(large) - len(small)) < 100  # only the CSRF token differs
    assert '<select name="contract_line"' not in large
    assert 'class="vForeignKeyRawIdAdminField"' in large


def test_a_line_that_is_not_usage_priced_is_refused_at_the_field(client):
    seats = ProductFactory(revenue_type=RevenueType.SUBSCRIPTION)
    contract = active_contract(billing_frequency="monthly", lines=[line_input(seats)])
    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    data = {
        "contract_line": contract.lines.get().pk,
        "usage_date": "2026-01-05",
        "quantity": "12",
        "reference": "evt-1",
    }
    response = client.post(reverse(ADD), data)
    assert "No usage-priced contract line has this id." in response.content.decode()
    assert not UsageRecord.objects.exists()
