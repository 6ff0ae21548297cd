"""The matching queue page and the bank transactions API list the same rows for the same
filter parameters: one FilterSet (billing/bank/filters.py)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.bank.models import BankTransaction
from ordermgmt import roles
from tests.bank_factories import Entry, camt053, open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported(client):
    acme = AccountFactory(legal_name="Acme Corp")
    invoice = open_invoice(acme, "500.00", date(2026, 2, 1))
    client.force_login(UserFactory(role=roles.FINANCE))
    content = camt053(
        [
            Entry("P1", str(invoice.total_amount), "Acme Corp", "", invoice.number),
            Entry("P2", "42.00", "Unknown Person", "", "hello"),
            Entry("P3", "17.50", "Someone Else", "", "gift", booked=date(2026, 3, 1)),
            Entry("D1", "9.99", "Bank fees", "", "fee", credit=False),
        ]
    )
    response = client.post(
        "/billing/bank/import/", {"file": SimpleUploadedFile("march.xml", content)}
    )
    assert response.status_code == 302
    return {txn.bank_reference: txn for txn in BankTransaction.objects.all()}


def _page_refs(client, params):
    response = client.get("/billing/bank/", params)
    assert response.status_code == 200
    return [txn.bank_reference for txn in response.context["page"].object_list]


def _api_refs(client, params):
    response = client.get("/api/v1/bank/transactions/", params)
    assert response.status_code == 200, response.content
    return [row["bank_reference"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("params", "refs"),
    [
        ({"status": "open"}, ["P3", "P2"]),
        ({"status": "matched"}, ["P1"]),
        ({"status": "ignored"}, ["D1"]),
        ({"status": ""}, ["P3", "P1", "P2", "D1"]),
        ({"status": "", "direction": "debit"}, ["D1"]),
        ({"status": "", "currency": "USD"}, []),
    ],
)
def test_the_queue_page_and_the_api_list_the_same_transactions_for_the_same_filters(
    client, imported, params, refs
):
    assert _page_refs(client, params) == refs
    assert _api_refs(client, params) == refs


def test_the_queue_page_and_the_api_filter_by_account_alike(client, imported):
    params = {"status": "", "account": imported["P1"].account_id}

    assert _page_refs(client, params) == _api_refs(client, params) == ["P1"]


def test_the_queue_page_shows_the_credits_to_match_without_a_known_status(client, imported):
    assert _page_refs(client, {}) == ["P3", "P2"]
    assert _page_refs(client, {"status": "bogus"}) == ["P3", "P2"]
    assert _page_refs(client, {"page": "1"}) == ["P3", "P2"]
    assert client.get("/billing/bank/", {"status": "bogus"}).context["status"] == "open"


def test_the_api_refuses_an_unknown_status_naming_the_parameter(client, imported):
    response = client.get("/api/v1/bank/transactions/", {"status": "bogus"})

    assert response.status_code == 400
    assert response.json()["field"] == "status"
