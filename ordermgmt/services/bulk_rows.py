"""New rows and their history rows by COPY, each row read from its instance in one step.

``core.bulk.insert_rows`` followed by ``core.audit.bulk_history`` writes the same rows,
but prepares every value with its own function call and builds a history model
instance per row; on a page of booked deals (thousands of contracts, lines, accounts,
opportunities) that per-value and per-instance work was most of the sync's own time.
Here each model gets a plan once (its columns, which of them need Django's value
preparation, where its history row takes each value), and every row is one
``attrgetter`` call: the row tuple goes to COPY as it is, and its history row is the
same tuple laid out for the history table plus date, reason, type and user.

The values written are the ones ``insert_rows`` / ``bulk_history`` write: primary keys
from the table's sequence, ``auto_now``/``auto_now_add`` fields set on the instance
(one timestamp per call), JSON and fields with their own preparation through
``get_db_prep_save``, history rows with the actor and the reason trimmed as
``core.audit`` trims it. PostgreSQL only; other databases (the SQLite demo) take
``insert_rows`` and ``bulk_history`` themselves.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils import timezone

from core.audit import actor_or_none, bulk_history, history_reason
from core.bulk import count_copy_query, insert_rows, is_stock_field

_PLANS: dict[type[models.Model], _Plan] = {}


class _Plan:
    """How rows of one model (and its history rows) are laid out for COPY."""

    def __init__(self, model: type[models.Model]) -> None:
        meta = model._meta
        quote = connection.ops.quote_name
        fields = meta.concrete_fields
        self.pk_attname = meta.pk.attname
        self.getter = operator.attrgetter(*(f.attname for f in fields))
        self.copy_sql = (
            f"COPY {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
        )
        self.timestamps = [
            f.attname
            for f in fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        # Columns whose value Django prepares (JSON, a field class that overrides it, a
        # datetime that may be naive): (position, field).
        self.prepared = [
            (index, f)
            for index, f in enumerate(fields)
            if not is_stock_field(f) or isinstance(f, models.DateTimeField)
        ]
        self.history_sql = None
        history = getattr(model, "history", None)
        if history is not None:
            history_meta = history.model._meta
            tracked = history.model.tracked_fields
            position = {f.attname: index for index, f in enumerate(fields)}
            self.history_positions = operator.itemgetter(*(position[f.attname] for f in tracked))
            columns = [history_meta.get_field(f.name).column for f in tracked]
            columns += ["history_date", "history_change_reason", "history_type", "history_user_id"]
            self.history_sql = (
                f"COPY {quote(history_meta.db_table)} "
                f"({', '.join(quote(c) for c in columns)}) FROM STDIN"
            )

    def row(self, obj: models.Model) -> tuple:
        values = self.getter(obj)
        if not self.prepared:
            return values
        values = list(values)
        for index, field in self.prepared:
            value = values[index]
            if isinstance(field, models.DateTimeField) and (
                value is None or (isinstance(value, datetime) and value.tzinfo is not None)
            ):
                continue
            values[index] = field.get_db_prep_save(value, connection)
        return tuple(values)


class NewRows:
    """New instances of one model, built through the positional constructor Django uses
    for rows read from the database: the same instance as ``model(**values)`` (fields not
    given take their defaults) without the keyword path's per-field lookups, which were
    a large share of the first sync's time (a page of 2,000 deals makes ~12,000 rows)."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.slots = [(f.attname, f.get_default) for f in fields]
        self.attnames = frozenset(f.attname for f in fields)
        # A generated column can't be given a value: such a model keeps the keyword path.
        self.positional = not any(getattr(f, "generated", False) for f in fields)
        self.relations = {f.name: f for f in fields if f.is_relation and f.many_to_one}
        self.plain_init = model.__init__ is models.Model.__init__
        # Defaults that are the same value every time (a constant, None, ""), worked out
        # once; callable ones (dict, list, a function) are called for each row.
        self.factories = [
            (f.attname, f.get_default)
            for f in fields
            if (f.has_default() and callable(f.default)) or f.has_db_default()
        ]
        computed = {name for name, _ in self.factories}
        self.constants = {f.attname: f.get_default() for f in fields if f.attname not in computed}

    def __call__(self, values: dict[str, Any], **parents: models.Model) -> models.Model:
        """``values`` by attname; ``parents`` (by field name) are cached on the instance
        as the keyword constructor caches a related object given to it (their keys go in
        ``values``)."""
        model = self.model
        if not self.positional or not self.attnames.issuperset(values):
            obj = model(**values)
        elif self.plain_init and not (
            pre_init.has_listeners(model) or post_init.has_listeners(model)
        ):
            # What Model.__init__ does with positional values when no one listens to
            # its signals: a fresh state, then each attribute (a foreign key's
            # descriptor only drops a cached parent, and a new instance has none).
            fresh = dict(self.constants)
            for name, default in self.factories:
                if name not in values:
                    fresh[name] = default()
            fresh.update(values)
            obj = model.__new__(model)
            obj._state = ModelState()
            obj.__dict__.update(fresh)
        else:
            obj = model(
                *[values[name] if name in values else default() for name, default in self.slots]
            )
        for name, parent in parents.items():
            self.relations[name].set_cached_value(obj, parent)
        return obj


def _plan(model: type[models.Model]) -> _Plan:
    plan = _PLANS.get(model)
    if plan is None:
        plan = _PLANS[model] = _Plan(model)
    return plan


def copy_new_rows(
    objs: Sequence[models.Model],
    *,
    history_type: str | None = None,
    reason: str = "",
    actor=None,
) -> Sequence[models.Model]:
    """Insert new rows of one model (primary keys set on the instances, as
    ``insert_rows``) and, with ``history_type``, one history row each (as
    ``bulk_history``). Foreign keys are read from their ``_id`` attributes: set them
    (not only the cached parent) before calling."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        insert_rows(objs)
        if history_type:
            bulk_history(model, objs, history_type=history_type, reason=reason, actor=actor)
        return objs
    plan = _plan(model)
    pk = plan.pk_attname
    meta = model._meta
    missing = [obj for obj in objs if getattr(obj, pk) is None]
    now = timezone.now()
    with connection.cursor() as cursor:
        if missing:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(meta.db_table), meta.pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                setattr(obj, pk, value)
        alias = connection.alias
        for obj in objs:
            for name in plan.timestamps:
                setattr(obj, name, now)
            state = obj._state
            state.adding = False
            state.db = alias
        rows = [plan.row(obj) for obj in objs]
        count_copy_query(plan.copy_sql)
        with cursor.cursor.copy(plan.copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        if history_type and plan.history_sql:
            user = actor_or_none(actor)
            tail = (now, history_reason(model, reason), history_type, user.pk if user else None)
            pick = plan.history_positions
            count_copy_query(plan.history_sql)
            with cursor.cursor.copy(plan.history_sql) as copy:
                for row in rows:
                    copy.write_row(pick(row) + tail)
    return objs
