"""Cursor (keyset) paging of the API lists (core/keyset.py): walking a list with the cursor
gives every row once, in the order page numbers give, both ways, whatever the order, the
filter or the search; a cursor that is not this list's is a 400 on `cursor`."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlparse

import pytest

from billing.models import Invoice
from core.pagination import ListPagination
from ordermgmt import roles
from tests.factories import IssuedInvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/invoices/"


@pytest.fixture
def book(tied_invoices):
    return tied_invoices


@pytest.fixture
def api(client):
    client.force_login(UserFactory(role=roles.FINANCE))
    return client


def _by_page_numbers(api, **params) -> list[int]:
    ids, page = [], 1
    while True:
        answer = api.get(URL, {**params, "page": page, "lines": "false"})
        assert answer.status_code == 200, answer.json()
        ids += [row["id"] for row in answer.json()["results"]]
        if not answer.json()["next"]:
            return ids
        page += 1


def _walk(api, url, params=None, link="next") -> tuple[list[list[int]], dict]:
    """The pages met following `link` from `url`, and the last answer."""
    pages = []
    while url:
        answer = api.get(url, params)
        assert answer.status_code == 200, answer.json()
        body = answer.json()
        assert body["count"] is None
        pages.append([row["id"] for row in body["results"]])
        url, params = body[link], None
    return pages, body


def _cursor(link: str) -> str:
    return parse_qs(urlparse(link).query)["cursor"][0]


ORDERS = [
    {},  # the list's own order, newest first
    {"sort": "status"},  # every row ties: the primary key orders them
    {"sort": "-status"},
    {"sort": "account"},  # a joined column
    {"sort": "-total"},
    {"ordering": "due_date"},  # DRF's `ordering=`
    {"ordering": "-total_amount"},
]


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: ",".join(map(str, o.values())) or "default")
def test_walking_with_the_cursor_gives_every_row_once_in_page_number_order(book, api, order):
    # 4 a page: page ends fall inside runs of equal dates, amounts and customers.
    expected = _by_page_numbers(api, page_size=4, **order)
    assert sorted(expected) == sorted(i.pk for i in book)
    forward, last = _walk(api, URL, {"cursor": "", "page_size": 4, "lines": "false", **order})
    assert [pk for page in forward for pk in page] == expected
    assert [len(page) for page in forward] == [4, 4, 3]
    assert last["next"] is None

    backward, first = _walk(api, last["previous"], link="previous")
    assert [pk for page in reversed(backward) for pk in page] == expected[:-3]
    assert first["previous"] is None


def test_a_filter_and_the_search_rank_combine_with_the_cursor_and_stay_in_its_links(book, api):
    account = book[0].account
    params = {"account": str(account.pk), "page_size": 2}
    pages, _ = _walk(api, URL, {**params, "cursor": ""})
    assert [pk for page in pages for pk in page] == _by_page_numbers(api, **params)
    assert {Invoice.objects.get(pk=pk).account_id for page in pages for pk in page} == {account.pk}
    link = api.get(URL, {**params, "cursor": ""}).json()["next"]
    assert parse_qs(urlparse(link).query)["account"] == [str(account.pk)]

    # A short search orders by rank (exact number, then prefix, then the rest): an
    # expression, paged by its annotation.
    term = book[4].number[:-1]
    ranked = _by_page_numbers(api, q=term, page_size=2)
    pages, _ = _walk(api, URL, {"q": term, "page_size": 2, "cursor": ""})
    assert [pk for page in pages for pk in page] == ranked


def test_rows_added_behind_the_cursor_while_walking_are_not_met(book, api):
    first = api.get(URL, {"cursor": "", "page_size": 4}).json()
    # Newest first: an invoice dated today sorts before every page already read.
    IssuedInvoiceFactory(account=book[0].account, invoice_date=date(2026, 2, 1))
    rest, _ = _walk(api, first["next"])
    walked = [row["id"] for row in first["results"]] + [pk for page in rest for pk in page]
    newest_first = sorted(book, key=lambda i: (i.invoice_date, i.pk), reverse=True)
    assert walked == [i.pk for i in newest_first]


def test_page_size_is_honoured_up_to_the_maximum(book, api, monkeypatch):
    assert len(api.get(URL, {"cursor": "", "page_size": 5}).json()["results"]) == 5
    monkeypatch.setattr(ListPagination, "max_page_size", 4)
    assert len(api.get(URL, {"cursor": "", "page_size": 10}).json()["results"]) == 4


@pytest.mark.parametrize(
    "cursor", ["garbage", "eyJvIjoiMTIzIn0:1abc:def", "%00", "a" * 500], ids=str.__len__
)
def test_a_malformed_cursor_is_a_400_naming_cursor(book, api, cursor):
    answer = api.get(URL, {"cursor": cursor})
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == ("cursor", "invalid_cursor")


def test_a_cursor_edited_from_another_list_or_another_order_is_refused(book, api):
    good = _cursor(api.get(URL, {"cursor": "", "page_size": 2}).json()["next"])
    assert api.get(URL, {"cursor": good}).status_code == 200
    edited = good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB")
    sorted_other_way = {"cursor": good, "sort": "status"}
    for url, params in [
        (URL, {"cursor": edited}),
        ("/api/v1/payments/", {"cursor": good}),
        (URL, sorted_other_way),
    ]:
        answer = api.get(url, params)
        assert answer.status_code == 400, (url, params)
        assert (answer.json()["field"], answer.json()["code"]) == ("cursor", "invalid_cursor")


def test_page_number_paging_is_unchanged_without_a_cursor(book, api):
    body = api.get(URL, {"page_size": 4}).json()
    assert body["count"] == 11
    assert "page=2" in body["next"] and "cursor" not in body["next"]


def _api_lists() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        and "get" in operations
        and "cursor" in {p["name"] for p in operations["get"].get("parameters", [])}
    )


def test_every_api_list_walks_by_cursor_as_by_page_numbers(book, client):
    """Each list's own order (joined keys, annotations, mixed directions), on whatever rows
    the book gives it."""
    client.force_login(UserFactory(role=roles.ADMIN))
    paths = _api_lists()
    assert URL in paths and "/api/v1/payments/" in paths and len(paths) > 20
    walked = 0
    for path in paths:
        rows, page = [], 1
        while True:
            body = client.get(path, {"page": page, "page_size": 2}).json()
            rows += body["results"]
            if not body["next"]:
                break
            page += 1
        cursor_rows, url, params = [], path, {"cursor": "", "page_size": 2}
        while url:
            answer = client.get(url, params)
            assert answer.status_code == 200, (path, answer.json())
            cursor_rows += answer.json()["results"]
            url, params = answer.json()["next"], None
        assert cursor_rows == rows, path
        walked += len(rows) > 2
    assert walked >= 3  # invoices, customers, legal entities at least went past a page
