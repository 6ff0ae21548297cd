"""A page deep in a long list reads its ids first, then its rows (core.pagination): the
same rows in the same order as the plain LIMIT/OFFSET, for every order a list offers."""

from __future__ import annotations

import pytest
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse

from billing.models import Invoice
from core import pagination
from core.ordering import stable_ordering
from ordermgmt import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deep(monkeypatch, tied_invoices):
    monkeypatch.setattr(pagination, "IDS_FIRST_FROM", 2)  # every page after the first
    return tied_invoices


def _pages(queryset, per_page=3):
    paginator = pagination.EstimatedCountPaginator(queryset, per_page)
    return [list(paginator.page(n).object_list) for n in paginator.page_range]


ORDERS = [
    ["-invoice_date", "-id"],
    stable_ordering(["status"]),
    stable_ordering(["-total_amount"]),
    stable_ordering(["account__legal_name"]),
]


@pytest.mark.parametrize("ordering", ORDERS, ids=lambda o: ",".join(map(str, o)))
def test_every_page_holds_the_same_rows_in_the_same_order_as_a_plain_slice(deep, ordering):
    queryset = Invoice.objects.select_related("account").order_by(*ordering)
    expected = list(queryset)
    pages = _pages(queryset)
    assert [i.pk for page in pages for i in page] == [i.pk for i in expected]
    assert pages[-1] and all(len(page) == 3 for page in pages[:-1])


def test_a_list_ordered_by_an_annotation_pages_the_same(deep):
    rank = Case(When(total_amount=11, then=Value(0)), default=Value(1), output_field=IntegerField())
    queryset = Invoice.objects.order_by(rank, "number", "-id")
    assert [i.pk for page in _pages(queryset) for i in page] == [i.pk for i in queryset]


def test_the_console_and_api_deep_pages_match_the_list(client, deep, monkeypatch):
    monkeypatch.setattr("billing.views.INVOICES_PER_PAGE", 3)
    client.force_login(UserFactory(role=roles.FINANCE))
    everything = [i.pk for i in Invoice.objects.order_by("-invoice_date", "-id")]
    api = client.get("/api/v1/invoices/", {"page_size": 3, "page": 3}).json()
    assert [row["id"] for row in api["results"]] == everything[6:9]
    page = client.get(reverse("billing:invoice_list"), {"page": 2})
    assert [row.invoice.pk for row in page.context["rows"]] == everything[3:6]


def test_a_deep_page_reads_its_rows_without_an_offset(deep):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queryset = Invoice.objects.select_related("account").order_by("-invoice_date", "-id")
    paginator = pagination.EstimatedCountPaginator(queryset, 3)
    paginator.count  # noqa: B018 (counted before, as the pages do)
    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(3).object_list)
    offsets = [q["sql"] for q in queries if "OFFSET" in q["sql"]]
    assert len(rows) == 3 and len(offsets) == 1
    assert offsets[0].startswith('SELECT "billing_invoice"."id"') and "JOIN" not in offsets[0]
