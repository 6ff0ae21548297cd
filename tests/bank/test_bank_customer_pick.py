"""The bank matching queue and split page pick the customer with the type-ahead of the
record-payment form, so neither page lists every account (issue 20)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.bank.models import BankTransaction
from ordermgmt import roles
from tests.bank_factories import Entry, camt053
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def unknown_credit(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    content = camt053([Entry("P9", "42.00", "Unknown Person", "", "hello")])
    client.post(
        "/billing/bank/import/", {"file": SimpleUploadedFile("f.xml", content)}, follow=True
    )
    return BankTransaction.objects.get(bank_reference="P9")


def page(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.mark.parametrize("url", ["/billing/bank/", "/billing/bank/transactions/{pk}/split/"])
def test_the_page_does_not_grow_with_the_number_of_customers(client, unknown_credit, url):
    url = url.format(pk=unknown_credit.pk)
    AccountFactory.create_batch(3)
    small, small_queries = page(client, url)
    AccountFactory.create_batch(150)
    large, large_queries = page(client, url)
    assert large_queries == small_queries
    # Only the CSRF tokens differ between two renders.
    assert abs(len(large) - len(small)) < 100
    assert '<select name="account"' not in large
    assert 'class="customer-picker"' in large


def test_the_queue_row_shows_the_customer_already_recognised(client, unknown_credit):
    acme = AccountFactory(legal_name="Acme Corp")
    BankTransaction.objects.filter(pk=unknown_credit.pk).update(account=acme)
    queue, _ = page(client, "/billing/bank/")
    assert f'name="account" value="{acme.pk}"' in queue
    assert f'id="id_account_{unknown_credit.pk}" value="Acme Corp"' in queue


def test_the_split_page_shows_the_chosen_customer_and_its_invoices(client, unknown_credit):
    acme = AccountFactory(legal_name="Acme Corp")
    split, _ = page(
        client, f"/billing/bank/transactions/{unknown_credit.pk}/split/?account={acme.pk}"
    )
    assert 'id="id_account" value="Acme Corp"' in split
    assert "Acme Corp has no open invoice in" in split
