"""Contract and customer lists: the FilterSet the API uses, sortable columns, and a CSV
of the filtered list, permissioned and logged."""

import csv
import io

import pytest
from django.urls import reverse

from collections_app.models import ExportLog
from ordermgmt import roles
from tests.factories import AccountFactory, UserFactory, make_contract

pytestmark = pytest.mark.django_db


def _login(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_contract_list_page_api_and_csv_filter_and_sort_alike(client):
    make_contract(name="Alpha rollout", po_number="PO-1")
    wanted = make_contract(name="Beta rollout", po_number="PO-2")
    make_contract(name="Gamma")
    user = _login(client, roles.FINANCE)
    params = {"q": "rollout", "sort": "-name"}
    page = client.get(reverse("contract_list"), params)
    assert [c.name for c in page.context["page"].object_list] == ["Beta rollout", "Alpha rollout"]
    api = client.get("/api/v1/contracts/", params).json()
    assert [c["name"] for c in api["results"]] == ["Beta rollout", "Alpha rollout"]
    rows = _csv(client.get(reverse("contract_export"), params))
    assert [r["reference"] for r in rows][0] == wanted.reference
    log = ExportLog.objects.get()
    assert (log.user, log.report, log.row_count) == (user, "contracts", 2)


def test_the_customer_list_finds_by_name_and_exports_what_it_shows(client):
    AccountFactory(legal_name="Northwind Traders", stripe_customer_id="cus_N1")
    AccountFactory(legal_name="Contoso GmbH", billing_country="DE")
    _login(client, roles.FINANCE)
    page = client.get(reverse("customer_list"), {"billing_country": "DE"})
    assert [a.legal_name for a in page.context["page"].object_list] == ["Contoso GmbH"]
    rows = _csv(client.get(reverse("customer_export"), {"q": "cus_n"}))
    assert [r["name"] for r in rows] == ["Northwind Traders"]
    api = client.get("/api/v1/accounts/", {"billing_country": "DE"}).json()
    assert [a["legal_name"] for a in api["results"]] == ["Contoso GmbH"]


def test_a_specialist_sees_the_lists_but_may_not_export_them(client):
    AccountFactory()
    _login(client, roles.ORDER_SPECIALIST)
    assert client.get(reverse("customer_list")).status_code == 200
    assert client.get(reverse("contract_list")).status_code == 200
    assert client.get(reverse("customer_export")).status_code == 403
    assert client.get(reverse("contract_export")).status_code == 403
    assert not ExportLog.objects.exists()
