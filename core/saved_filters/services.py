"""Saving, renaming and deleting a user's filters on the console lists.

A saved filter is the list's query string (the FilterSet's fields and `sort`, without
`page`), so opening it runs the same FilterSet as the page, its API and its CSV. Filters
are the user's own: a teammate gets the same rows from the page's URL, and a shared list
of names per role would need someone to own and tidy it. Saving under a name already
used on that list replaces its query (the user refines a filter and saves it again).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import QueryDict

from core.error_codes import CoreError
from core.errors import DomainValidationError

from .models import ConsoleList, SavedFilter

NAME_MAX_LENGTH = 80
QUERY_MAX_LENGTH = 1000
MAX_PER_LIST = 50
# Not part of what a filter selects: the page shown and the form's own fields.
_NOT_FILTERS = ("page", "csrfmiddlewaretoken")


def filter_query(query: QueryDict | str) -> str:
    """The query string a filter saves: the list's filters and sort, without the page."""
    params = QueryDict(query, mutable=True) if isinstance(query, str) else query.copy()
    for key in _NOT_FILTERS:
        params.pop(key, None)
    for key in list(params):
        if not any(value.strip() for value in params.getlist(key)):
            del params[key]  # an empty field of the form filters nothing
    return params.urlencode()


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise DomainValidationError(
            field="name", code=CoreError.EMPTY, message="Give the filter a name."
        )
    if len(name) > NAME_MAX_LENGTH:
        raise DomainValidationError(
            field="name",
            code=CoreError.MAX_LENGTH,
            message=f"A filter's name has at most {NAME_MAX_LENGTH} characters.",
        )
    return name


@transaction.atomic(durable=True)
def save_filter(*, owner, list_name: str, name: str, query: str) -> SavedFilter:
    if list_name not in ConsoleList.values:
        raise DomainValidationError(
            field="list_name", code=CoreError.OUT_OF_RANGE, message="No such list."
        )
    name = _clean_name(name)
    query = filter_query(query)
    if not query:
        raise DomainValidationError(
            field="query",
            code=CoreError.EMPTY,
            message="Filter the list first: the whole list needs no saved filter.",
        )
    if len(query) > QUERY_MAX_LENGTH:
        raise DomainValidationError(
            field="query",
            code=CoreError.MAX_LENGTH,
            message=f"This filter is too long to save ({len(query)} characters).",
        )
    mine = SavedFilter.objects.select_for_update().filter(owner=owner, list_name=list_name)
    existing = mine.filter(name__iexact=name).first()
    if existing is not None:
        existing.name, existing.query = name, query
        existing.save(update_fields=["name", "query"])
        return existing
    if mine.count() >= MAX_PER_LIST:
        raise DomainValidationError(
            field="name",
            code=CoreError.OUT_OF_RANGE,
            message=f"At most {MAX_PER_LIST} saved filters per list: delete one first.",
        )
    return SavedFilter.objects.create(owner=owner, list_name=list_name, name=name, query=query)


@transaction.atomic(durable=True)
def rename_filter(*, saved_filter: SavedFilter, owner, name: str) -> SavedFilter:
    saved_filter = SavedFilter.objects.select_for_update().get(pk=saved_filter.pk, owner=owner)
    name = _clean_name(name)
    taken = (
        SavedFilter.objects.filter(owner=owner, list_name=saved_filter.list_name, name__iexact=name)
        .exclude(pk=saved_filter.pk)
        .exists()
    )
    if taken:
        raise DomainValidationError(
            field="name",
            code=CoreError.DUPLICATE_NAME,
            message=f"You already have a filter named “{name}” on this list.",
        )
    saved_filter.name = name
    try:
        with transaction.atomic():
            saved_filter.save(update_fields=["name"])
    except IntegrityError as err:  # the same name saved at the same moment
        raise DomainValidationError(
            field="name",
            code=CoreError.DUPLICATE_NAME,
            message=f"You already have a filter named “{name}” on this list.",
        ) from err
    return saved_filter


@transaction.atomic(durable=True)
def delete_filter(*, saved_filter: SavedFilter, owner) -> None:
    SavedFilter.objects.filter(pk=saved_filter.pk, owner=owner).delete()


def filters_of(*, owner, list_name: str) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(owner=owner, list_name=list_name))
