"""Shared by the report endpoints: days formatting (amounts: core.money.money_string) and
the page parameters of the paged ones (the worklist, the aging's customer rows)."""

from __future__ import annotations

from decimal import Decimal

from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.errors import DomainValidationError

from ..error_codes import CollectionsError


def days(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.quantize(Decimal('0.01')):f}"


def page_params(query_params, *, default_size: int, max_size: int) -> tuple[int, int]:
    """(page, page_size) from ?page= and ?page_size=: whole numbers from 1; a page_size
    above `max_size` is cut to it, as DRF's own paginators do."""
    values = {}
    for name, default in [("page", 1), ("page_size", default_size)]:
        raw = query_params.get(name, "")
        try:
            values[name] = int(raw) if raw != "" else default
        except ValueError:
            values[name] = 0
        if values[name] < 1:
            raise DomainValidationError(
                field=name,
                code=CollectionsError.NOT_A_PAGE,
                message=f"{name} is a whole number from 1.",
            )
    return values["page"], min(values["page_size"], max_size)


def page_links(request, page: int, num_pages: int) -> tuple[str | None, str | None]:
    """The next and previous page URLs (None at either end), DRF's shape."""
    url = request.build_absolute_uri()
    following = replace_query_param(url, "page", page + 1) if page < num_pages else None
    if page <= 1:
        previous = None
    elif page == 2:
        previous = remove_query_param(url, "page")
    else:
        previous = replace_query_param(url, "page", page - 1)
    return following, previous
