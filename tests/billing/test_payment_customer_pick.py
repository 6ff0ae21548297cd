"""The record-payment form's customer box: a type-ahead over a bounded JSON lookup, so the
page stays the same size however many customers the book has (issue 20)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Payment
from billing.search.pick import PICK_LIMIT
from ordermgmt import roles
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

LOOKUP = "billing:payment_customer_lookup"


def logged_in(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def form_page(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("billing:payment_record"), params)
    assert response.status_code == 200
    return response, len(queries)


def test_the_form_page_does_not_grow_with_the_number_of_customers(client):
    logged_in(client, roles.FINANCE)
    AccountFactory.create_batch(3)
    small, small_queries = form_page(client)
    AccountFactory.create_batch(150)
    large, large_queries = form_page(client)
    assert large_queries == small_queries
    # Only the CSRF token differs between two renders.
    assert abs(len(large.content) - len(small.content)) < 100
    assert '<select name="account"' not in large.content.decode()


def test_a_form_opened_from_a_customer_is_pre_filled_with_its_id_and_name(client):
    logged_in(client, roles.FINANCE)
    account = AccountFactory(legal_name="Northwind Traders")
    AccountFactory.create_batch(20)
    response, _ = form_page(client, account=account.pk)
    html = response.content.decode()
    assert f'name="account" value="{account.pk}"' in html
    assert 'value="Northwind Traders"' in html


def test_the_lookup_returns_matches_in_name_order_limited_to_twenty(client):
    logged_in(client, roles.FINANCE)
    for n in range(PICK_LIMIT + 5, 0, -1):
        AccountFactory(legal_name=f"Northwind {n:02d}")
    AccountFactory(legal_name="Contoso Ltd")
    response = client.get(reverse(LOOKUP), {"q": "northw"})
    assert response.status_code == 200
    data = response.json()
    labels = [row["label"] for row in data["results"]]
    assert len(labels) == PICK_LIMIT
    assert labels == sorted(labels)
    assert all(label.startswith("Northwind ") for label in labels)
    assert data["more"] is True

    few = client.get(reverse(LOOKUP), {"q": "Contoso"}).json()
    assert [row["label"] for row in few["results"]] == ["Contoso Ltd"]
    assert few["more"] is False


def test_the_lookup_finds_a_customer_by_its_processor_id_prefix(client):
    logged_in(client, roles.FINANCE)
    account = AccountFactory(legal_name="Fabrikam", stripe_customer_id="cus_Q7xK2")
    AccountFactory(legal_name="Other", stripe_customer_id="cus_Z9")
    data = client.get(reverse(LOOKUP), {"q": "cus_Q7"}).json()
    assert [row["id"] for row in data["results"]] == [account.pk]


def test_the_lookup_is_refused_to_a_user_who_may_not_record_payments(client):
    AccountFactory(legal_name="Northwind Traders")
    logged_in(client, roles.AUDITOR)
    assert client.get(reverse("billing:payment_record")).status_code == 403
    assert client.get(reverse(LOOKUP), {"q": "North"}).status_code == 403


def test_posting_an_unknown_customer_id_is_refused_at_the_field_and_records_nothing(client):
    logged_in(client, roles.FINANCE)
    AccountFactory()
    data = {
        "account": "999999",
        "method": "check",
        "reference": "CHK-1001",
        "received_date": "2026-01-20",
        "currency": "USD",
        "amount": "250.00",
    }
    response = client.post(reverse("billing:payment_record"), data)
    assert response.status_code == 400
    assert [e.code for e in response.context["form"].errors.as_data()["account"]] == [
        "invalid_choice"
    ]
    assert 'data-field="account"' in response.content.decode()
    assert Payment.objects.count() == 0
