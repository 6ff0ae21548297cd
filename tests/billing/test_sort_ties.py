"""A list sorted by a column of few values pages through every row exactly once, ties
broken by id in the sort's direction (core.ordering), on the API, the console CSV and the
admin changelist alike."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db.models import F
from django.urls import reverse

from billing.models import Invoice
from core.ordering import stable_ordering
from ordermgmt import roles
from tests.billing.helpers import pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory, make_contract

pytestmark = pytest.mark.django_db


def test_the_tie_break_follows_the_first_keys_direction():
    assert stable_ordering(["status"]) == ["status", "pk"]
    assert stable_ordering(["-status", "number"]) == ["-status", "number", "-pk"]
    assert stable_ordering([F("total_amount").desc()])[-1] == "-pk"
    assert stable_ordering(["status", "-id"]) == ["status", "-id"]  # already total
    assert stable_ordering([]) == []


@pytest.fixture
def same_status():
    account = AccountFactory(legal_name="Northwind Traders")
    return [
        IssuedInvoiceFactory(account=account, total="10.00", invoice_date=date(2026, 1, day))
        for day in (5, 6, 7, 8, 9)
    ]


def _api_pages(client, url, params):
    seen, page = [], client.get(url, params).json()
    while True:
        seen += [row["id"] for row in page["results"]]
        if not page["next"]:
            return seen
        page = client.get(page["next"]).json()


@pytest.mark.parametrize("sort, reverse_ids", [("status", False), ("-status", True)])
def test_api_pages_sorted_by_status_hold_every_invoice_once_in_id_order(
    client, same_status, sort, reverse_ids
):
    client.force_login(UserFactory(role=roles.FINANCE))
    seen = _api_pages(client, "/api/v1/invoices/", {"sort": sort, "page_size": 2})
    assert seen == sorted((i.pk for i in same_status), reverse=reverse_ids)


def test_payments_sorted_by_method_page_through_every_payment_once(client):
    account = AccountFactory(legal_name="Contoso GmbH")
    payments = [pay(account, "5.00", reference=f"WIRE-{n}") for n in range(5)]
    client.force_login(UserFactory(role=roles.FINANCE))
    seen = _api_pages(client, "/api/v1/payments/", {"sort": "-method", "page_size": 2})
    assert seen == sorted((p.pk for p in payments), reverse=True)


def test_the_csv_sorted_by_status_lists_ties_in_id_order(client, same_status):
    client.force_login(UserFactory(role=roles.FINANCE))
    response = client.get(reverse("billing:invoice_export"), {"sort": "status"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    numbers = [row["number"] for row in csv.DictReader(io.StringIO(body))]
    assert numbers == [i.number for i in sorted(same_status, key=lambda i: i.pk)]


def _admin_ids(client, order: str) -> list[int]:
    url = reverse("admin:billing_invoice_changelist")
    response = client.get(url, {"o": order})
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


def test_the_admin_sorted_by_status_breaks_ties_by_id_both_ways(admin_client, same_status):
    position = _column("status")
    ids = sorted(i.pk for i in same_status)
    assert _admin_ids(admin_client, str(position)) == ids
    assert _admin_ids(admin_client, f"-{position}") == ids[::-1]


def test_the_admin_sorts_invoices_by_contract_reference(admin_client):
    account = AccountFactory(legal_name="Fabrikam Inc")
    lower, higher = make_contract(account=account), make_contract(account=account)
    assert lower.reference < higher.reference  # CTR-000001 before CTR-000002
    # Made in the other order, so that the invoice ids disagree with the references.
    second = IssuedInvoiceFactory(account=account, contract=higher, total="1.00")
    first = IssuedInvoiceFactory(account=account, contract=lower, total="1.00")
    ids = _admin_ids(admin_client, str(_column("contract_reference")))
    assert ids == [first.pk, second.pk]


def _column(name: str) -> int:
    from django.contrib import admin

    model_admin = admin.site._registry[Invoice]
    # The changelist numbers its columns after the action checkbox.
    return ["action_checkbox", *model_admin.list_display].index(name)
