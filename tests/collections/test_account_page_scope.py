"""The collections account page's forms (note, promise, dispute, call) choose among this
customer's invoices and contacts only: other customers' records do not reach the page
(issue 20)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    issued_invoice,
    no_issue_hooks,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_issue_hooks")]


def others(count):
    for _ in range(count):
        issued_invoice(account=customer(contacts=2), due=date(2026, 3, 1))


def account_page(client, account):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("collections:account", args=[account.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_the_account_page_does_not_grow_with_other_customers_invoices(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    acme = customer("Acme")
    owed = issued_invoice(account=acme, due=date(2026, 3, 1))
    others(1)
    small, small_queries = account_page(client, acme)
    others(8)
    large, large_queries = account_page(client, acme)
    assert large_queries == small_queries
    assert abs(len(large) - len(small)) < 200  # only the CSRF tokens differ
    assert f'<option value="{owed.pk}"' in large
