"""Bulk helpers of the sync: the UPDATE lives in core (contract services use it too);
``any_of`` filters by a page's worth of ids.

``filter(sf_id__in=ids)`` with a page of ids (2,000 opportunities, 6,000 line items)
writes one placeholder per id, and psycopg parses such a query afresh every time (it
caches only short ones): that parsing was a tenth of the first sync's own time. On
PostgreSQL ``any_of`` sends ``sf_id = ANY(%s)`` with the ids as one array parameter,
which the database plans as it plans the IN list; elsewhere (the SQLite demo) it is
the plain ``__in`` filter.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import F, Lookup, Q

from core.bulk import update_rows

__all__ = ["any_of", "update_rows"]

# Below this many ids the IN list is short enough for psycopg's cache of parsed queries.
ARRAY_FROM = 50


class _EqualsAny(Lookup):
    """``lhs = ANY(%s)`` with a Python list as the one parameter (PostgreSQL only)."""

    lookup_name = "equals_any"  # used directly, never registered on a field
    prepare_rhs = False

    def get_prep_lookup(self):
        return self.rhs

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*lhs_params, self.rhs]


def any_of(field_name: str, values: Iterable) -> Q | _EqualsAny:
    """A filter condition: ``field_name`` is one of ``values``."""
    values = list(values)
    if connection.vendor != "postgresql" or len(values) < ARRAY_FROM:
        return Q(**{f"{field_name}__in": values})
    return _EqualsAny(F(field_name), values)
