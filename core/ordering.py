"""One rule for a list sorted by a column: ties are broken by the primary key, in the
direction of the column's sort.

Without a tie-break a page of a list sorted by a column with few values (an invoice's
status, a payment's method) is whatever order the database finds first: page 2 can repeat
rows of page 1 and miss others, in the console, the API and the CSV alike. Django's admin
breaks ties by the primary key descending whatever the column's direction, so "status
ascending" is `status, id DESC`, which no index on (status, id) serves in either scan
direction: PostgreSQL sorted the million rows for one page. With the key in the column's
direction one index per such column serves both directions (billing migration 0121);
columns with many values are served by their own index and an incremental sort."""

from __future__ import annotations

from django.db.models.expressions import OrderBy

PK_NAMES = {"pk", "id"}


def _name(part) -> str | None:
    if isinstance(part, str):
        return part.lstrip("-")
    if isinstance(part, OrderBy) and hasattr(part.expression, "name"):
        return part.expression.name
    return None


def _descending(part) -> bool:
    if isinstance(part, OrderBy):
        return part.descending
    return isinstance(part, str) and part.startswith("-")


def stable_ordering(ordering) -> list:
    """`ordering` with the primary key last, ascending or descending as its first key;
    unchanged when it already orders by the primary key."""
    ordering = list(ordering)
    if not ordering or any(_name(part) in PK_NAMES for part in ordering):
        return ordering
    return [*ordering, "-pk" if _descending(ordering[0]) else "pk"]


def list_ordering(queryset) -> list:
    """The order a list's queryset is read in (its `order_by`, else its model's default),
    made stable: what both API pagers, page numbers and cursors, page along."""
    query = queryset.query
    ordering = query.order_by or (queryset.model._meta.ordering if query.default_ordering else ())
    return stable_ordering(ordering)
