"""Paging long lists (invoices, payments, credit notes, contracts, customers) on the
console, in the admin and in the API without counting the whole table on every request.

Page numbers, for people: the lists sort by any column the user picks and show "page N
of M" with links to jump. An exact `COUNT(*)` of a million invoices is the one query
whose cost grows with the book, so above `ESTIMATE_ABOVE` rows the count is PostgreSQL's
planner estimate (EXPLAIN, the same statistics as `pg_class.reltuples`) and the page says
"about N". Below it the count is exact, so short filtered lists (one customer, one run)
show true numbers. Pages themselves are fetched with LIMIT/OFFSET along an index matching
the default order, so the first pages cost the same at any size. A page deep in a long
list reads its ids first (the offset walked along an index, no row or joined row read for
the rows skipped), then only its own rows, in the list's order: page 2,000 of a million
invoices read 100,000 full rows with their customer and contract to throw them away.
Even so the offset is walked: near the end of a 10M list a page still reads the index up
to its offset.

Cursors, for programs that walk a whole list (an export, a data warehouse): an API
request with `cursor` (empty to start) gets keyset pages instead (`core/keyset.py`): the
rows after the last one seen, an index range from there, so every page costs the same at
any depth; no count (`count` is null) and no jumping, only `next` and `previous` links
that keep the request's filters, search, order and `page_size`. Both pagers read the
list in one order, `core.ordering.list_ordering` (its default, `sort` or `ordering`, ties
broken by the primary key).
"""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core import keyset
from core.ordering import list_ordering

# Up to this many rows (as estimated) a list is counted exactly.
ESTIMATE_ABOVE = 10_000
# From this offset on, a page's ids are read first, then its rows.
IDS_FIRST_FROM = 1_000
API_MAX_PAGE_SIZE = 500


def estimated_count(queryset) -> int | None:
    """The planner's estimate of how many rows `queryset` returns; None where the
    database has no such estimate (SQLite, the demo)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. `pk__in=[]`: nothing can match
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """A Paginator whose `count` is exact for short lists and the planner's estimate for
    long ones; `estimated` says which, for the page to write "about"."""

    estimated = False

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "query"):
            estimate = estimated_count(object_list)
            if estimate is not None and estimate > ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
        return super().count

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        object_list = self.object_list
        if bottom < IDS_FIRST_FROM or not hasattr(object_list, "query"):
            return super().page(number)
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(object_list.values_list("pk", flat=True)[bottom:top])
        # The same queryset, so the same order, joins and annotations: for its own rows.
        return self._get_page(object_list.filter(pk__in=ids), number, self)


class ListPagination(PageNumberPagination):
    """The API's paging: `page` and `page_size` (default PAGE_SIZE, at most
    API_MAX_PAGE_SIZE); `count` is estimated above ESTIMATE_ABOVE rows, and then the
    answer carries `X-Count-Estimated: true`. With `cursor` (empty for the first page),
    keyset pages of `page_size` rows, `count` null."""

    django_paginator_class = EstimatedCountPaginator
    page_size_query_param = "page_size"
    max_page_size = API_MAX_PAGE_SIZE
    page_size_query_description = (
        f"Results per page (default 50, at most {API_MAX_PAGE_SIZE}; a larger value is "
        f"lowered to {API_MAX_PAGE_SIZE})."
    )
    cursor_query_description = (
        "Keyset paging, for walking a whole list: empty for the first page, then the "
        "cursor in the `next` or `previous` link. Every page costs the same at any depth; "
        "`count` is then null and `page` is ignored. A cursor is opaque and valid for "
        "the list and order it came from."
    )
    keyset_page: keyset.KeysetPage | None = None

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset_page = None
        if keyset.CURSOR_PARAM in request.query_params:
            self.request = request
            self.keyset_page = keyset.read_page(
                queryset,
                path=request.path,
                cursor=request.query_params[keyset.CURSOR_PARAM],
                size=self.get_page_size(request),
            )
            return self.keyset_page.rows
        ordering = list_ordering(queryset)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return super().paginate_queryset(queryset, request, view)

    def _cursor_link(self, cursor: str | None) -> str | None:
        if cursor is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, keyset.CURSOR_PARAM, cursor)

    def get_paginated_response(self, data):
        if self.keyset_page is not None:
            return Response(
                {
                    "count": None,
                    "next": self._cursor_link(self.keyset_page.next_cursor),
                    "previous": self._cursor_link(self.keyset_page.previous_cursor),
                    "results": data,
                }
            )
        response = super().get_paginated_response(data)
        if self.page.paginator.estimated:
            response["X-Count-Estimated"] = "true"
        return response

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["nullable"] = True
        answer["properties"]["count"]["description"] = (
            f"Exact up to {ESTIMATE_ABOVE:,} results; above that the database's estimate "
            "(the answer then has the header `X-Count-Estimated: true`). Null on cursor "
            "pages."
        )
        return answer

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": keyset.CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": self.cursor_query_description,
                "schema": {"type": "string"},
            },
        ]
