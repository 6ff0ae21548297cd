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
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models

ROWS_PER_STATEMENT = 1000


def update_rows(objs: Sequence[models.Model], field_names: Sequence[str]) -> int:
    """Write `field_names` of every object (all of one model, all saved before)."""
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":  # the SQLite demo: no ::casts there
        return model._default_manager.bulk_update(objs, field_names, batch_size=500)
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


def count_copy_query(sql: str) -> None:
    """Let query counters (execute_wrapper, CaptureQueriesContext) see a COPY, which runs
    outside Django's cursor.execute."""
    for wrapper in connection.execute_wrappers:
        wrapper(lambda *args: None, sql, None, False, {"connection": connection})
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": "0.000"})


def insert_rows(objs: Sequence[models.Model]) -> Sequence[models.Model]:
    """Insert new rows of one model, like ``bulk_create`` (primary keys set, auto_now
    fields filled, no signals, no history), with COPY on PostgreSQL: no INSERT statement
    to compile and no parameter list to send, which is most of ``bulk_create``'s time on
    tens of thousands of rows. Keys come from the table's sequence (one query). Other
    databases get ``bulk_create``."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs, batch_size=ROWS_PER_STATEMENT)
    meta = model._meta
    quote = connection.ops.quote_name
    pk = meta.pk
    missing = [obj for obj in objs if obj.pk is None]
    with connection.cursor() as cursor:
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(meta.db_table), pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, value)
        fields = meta.concrete_fields
        relations = [f for f in fields if f.is_relation and f.many_to_one]
        for obj in objs:
            # A parent saved after it was assigned: take its key now, as bulk_create does.
            for f in relations:
                if getattr(obj, f.attname) is None and f.is_cached(obj):
                    parent = f.get_cached_value(obj)
                    if parent is not None:
                        setattr(obj, f.attname, parent.pk)
        sql = (
            f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        )
        count_copy_query(sql)
        preparers = [_preparer(f) for f in fields]
        with cursor.cursor.copy(sql) as copy:
            for obj in objs:
                copy.write_row([prepare(obj) for prepare in preparers])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


_PLAIN_TYPES = (type(None), str, int, bool, Decimal, date)


def is_stock_field(field: models.Field) -> bool:
    """A Django field class whose value preparation nobody overrode (ours or a library's)."""
    cls = type(field)
    return not isinstance(field, models.JSONField) and all(
        getattr(cls, name).__module__.startswith("django.db.models")
        for name in ("pre_save", "get_prep_value", "get_db_prep_value", "get_db_prep_save")
    )


def _preparer(field: models.Field):
    """obj -> the value COPY sends for ``field``: exactly ``get_db_prep_save(pre_save())``,
    skipped for values psycopg sends as they are (a string, a number, a date, an aware
    datetime) in a stock field, which is most of the per-value time on large inserts."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    stock = is_stock_field(field)

    def prepare(obj):
        value = getattr(obj, attname)
        if (
            stock
            and isinstance(value, _PLAIN_TYPES)
            and (not isinstance(value, datetime) or value.tzinfo is not None)
        ):
            return value
        return field.get_db_prep_save(value, connection)

    return prepare
