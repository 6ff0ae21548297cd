"""The change order form of a contract's page chooses among this contract's lines only;
the product box lists the catalog (small), so other contracts do not reach the page
(issue 20)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ordermgmt import roles
from tests.factories import ProductFactory, UserFactory, active_contract, line_input

pytestmark = pytest.mark.django_db


def change_orders_page(client, contract):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/billing/contracts/{contract.pk}/change-orders/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_change_order_page_does_not_grow_with_other_contracts(client):
    seats = ProductFactory()
    contract = active_contract(billing_frequency="monthly", lines=[line_input(seats)])

    def others(count):
        for _ in range(count):
            active_contract(billing_frequency="monthly", lines=[line_input(seats)])

    client.force_login(UserFactory(role=roles.ORDER_SPECIALIST))
    others(1)
    small, small_queries = change_orders_page(client, contract)
    others(6)
    large, large_queries = change_orders_page(client, contract)
    assert large_queries == small_queries
    assert abs(len(large) - len(small)) < 100  # only the CSRF token differs
    assert f'<option value="{contract.lines.get().pk}"' in large
