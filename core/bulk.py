"""One UPDATE for many rows with different values, in linear time.

Django's `bulk_update` writes `SET f = CASE WHEN id = 1 THEN ... WHEN id = 2 THEN ...`:
PostgreSQL walks the whole CASE for every row, so a page of 2,000 rows costs 4 million
comparisons, and building the expression dominated the sync's own time. This writes

    UPDATE t SET f = v.f, ... FROM (VALUES (%s::type, ...), ...) AS v(pk, f, ...)
    WHERE t.pk = v.pk

with each value prepared by its model field (`get_db_prep_save`), so JSON, dates and
foreign keys go in exactly as `save()` would send them. Like `bulk_update`, it sends no
signals and writes no history: callers that need history rows write them themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models

ROWS_PER_STATEMENT = 1000


def update_rows(objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Write `field_names` of every object (all of one model, all saved before)."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = [pk.column, *(f.column for f in fields)]
    casts = [pk.db_type(connection), *(f.db_type(connection) for f in fields)]
    row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    names = ", ".join(quote(column) for column in columns)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), ROWS_PER_STATEMENT):
            chunk = objs[start : start + ROWS_PER_STATEMENT]
            params: list[object] = []
            for obj in chunk:
                params.append(obj.pk)
                for f in fields:
                    params.append(f.get_db_prep_save(getattr(obj, f.attname), connection))
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "
                f"FROM (VALUES {', '.join([row_sql] * len(chunk))}) AS v({names}) "
                f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}",
                params,
            )
            updated += cursor.rowcount
    return updated
