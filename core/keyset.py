"""Keyset (cursor) paging for the API lists: a page is the rows after (or before) the
last row seen, in the list's order, so a page at the end of ten million rows costs what
the first one does: an index range from the cursor, no offset walked, no count.

The order is the list's own (`core.ordering.list_ordering`, the one the page-number pager
reads too): its default, a `sort=` or `ordering=`, with the primary-key tie-break. Each
key of that order becomes a `Key`: a field path (a key on a relation is its model's
ordering, as Django orders it), an annotation, or an expression annotated under an alias.
When every key runs one way and none can be NULL, "after" is one row comparison,
`(status, id) > ('paid', 41)`, which an index on those columns answers as a range;
otherwise it is the lexicographic OR of the keys, bounded by the first key so the scan
still starts near the cursor.

A cursor is the key values of its row, the direction and a digest of the order, signed
(`django.core.signing`, salted with the list's path): opaque to a client, and a cursor
edited, cut short, from another list or from another order is refused (`invalid_cursor`
on `cursor`), never a 500.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.core import signing
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import F, Q
from django.db.models.expressions import OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan

from core.error_codes import CoreError
from core.errors import DomainValidationError
from core.ordering import list_ordering

CURSOR_PARAM = "cursor"
_SALT = "core.keyset.cursor"


@dataclass(frozen=True)
class Key:
    """One column of a list's order: `name` is what the queryset filters and reads by."""

    name: str
    descending: bool
    nulls_first: bool  # where this database puts NULLs for this key
    nullable: bool
    explicit_nulls: bool = False  # the order said NULLS FIRST/LAST itself

    def reversed(self) -> Key:
        return Key(
            self.name, not self.descending, not self.nulls_first, self.nullable,
            self.explicit_nulls,
        )  # fmt: skip

    def order_by(self) -> OrderBy:
        if not self.explicit_nulls:
            return OrderBy(F(self.name), descending=self.descending)
        return OrderBy(
            F(self.name),
            descending=self.descending,
            nulls_first=True if self.nulls_first else None,
            nulls_last=None if self.nulls_first else True,
        )


@dataclass
class Ordering:
    """A queryset ready to be paged by its keys (expressions annotated), and the keys."""

    queryset: object
    keys: list[Key]
    digest: str

    def reversed(self) -> list[Key]:
        return [key.reversed() for key in self.keys]

    def in_order(self, keys: list[Key] | None = None):
        return self.queryset.order_by(*(key.order_by() for key in keys or self.keys))


def _nulls_large(queryset) -> bool:
    """PostgreSQL (and Oracle) sort NULL above every value; SQLite and MySQL below."""
    return connections[queryset.db].vendor in ("postgresql", "oracle")


def _field_path(model, name: str):
    """The fields along `name` (`account__legal_name`), or None when it is not a path."""
    fields, opts = [], model._meta
    for piece in name.split("__"):
        if opts is None:
            return None
        try:
            field = opts.pk if piece == "pk" else opts.get_field(piece)
        except FieldDoesNotExist:
            return None
        fields.append(field)
        opts = field.related_model._meta if field.is_relation and field.related_model else None
    return fields


def _keys_for(part, model, annotations, nulls_large: bool, alias: str, into: list) -> dict:
    """Appends `part`'s keys to `into`; returns the annotations it needs."""
    descending, nulls_first, nulls_last = False, None, None
    expression = part
    if isinstance(part, str):
        descending, expression = part.startswith("-"), F(part.lstrip("-"))
    elif isinstance(part, OrderBy):
        descending, expression = part.descending, part.expression
        nulls_first, nulls_last = part.nulls_first, part.nulls_last
    explicit = bool(nulls_first or nulls_last)
    placed_first = nulls_first or (not nulls_last and descending == nulls_large)

    def key(name: str, nullable: bool) -> Key:
        return Key(name, descending, bool(placed_first), nullable, explicit)

    if not isinstance(expression, F):
        into.append(key(alias, nullable=True))
        return {alias: expression}
    name = expression.name
    if name in annotations:
        into.append(key(name, nullable=True))
        return {}
    fields = _field_path(model, name)
    if fields is None:  # a transform such as `created_at__date`
        into.append(key(alias, nullable=True))
        return {alias: expression}
    last = fields[-1]
    related = last.related_model if last.is_relation else None
    if (
        related is not None
        and related._meta.ordering
        and name.split("__")[-1] not in (last.attname, "pk")
    ):
        # Django orders by a relation as its model's ordering, each key's direction
        # turned by this one's.
        needed: dict = {}
        for n, inner in enumerate(related._meta.ordering):
            if isinstance(inner, OrderBy) and isinstance(inner.expression, F):
                inner = OrderBy(
                    F(f"{name}__{inner.expression.name}"),
                    descending=inner.descending != descending,
                    # as Django's reverse_ordering(): NULLs move with the direction
                    nulls_first=inner.nulls_last if descending else inner.nulls_first,
                    nulls_last=inner.nulls_first if descending else inner.nulls_last,
                )
            elif isinstance(inner, str):
                inner_desc = inner.startswith("-") != descending
                inner = f"{'-' if inner_desc else ''}{name}__{inner.lstrip('-')}"
            needed |= _keys_for(inner, model, annotations, nulls_large, f"{alias}_{n}", into)
        return needed
    nullable = any(getattr(f, "null", False) for f in fields)
    into.append(key(name, nullable))
    return {}


def ordering_of(queryset) -> Ordering:
    """The list's order as keys, ending at the primary key (unique, so nothing after it
    matters); a random order cannot be paged by keys."""
    model, annotations = queryset.model, queryset.query.annotations
    nulls_large = _nulls_large(queryset)
    parts = list_ordering(queryset) or ["pk"]
    keys: list[Key] = []
    needed: dict = {}
    for n, part in enumerate(parts):
        if part == "?":
            raise DomainValidationError(
                field=CURSOR_PARAM, code=CoreError.INVALID_CURSOR,
                message="A list in random order cannot be paged with a cursor.",
            )  # fmt: skip
        needed |= _keys_for(part, model, annotations, nulls_large, f"_keyset_{n}", keys)
        if keys and keys[-1].name in ("pk", "id", model._meta.pk.name):
            break
    digest = hashlib.sha256(repr([str(p) for p in parts]).encode()).hexdigest()[:12]
    return Ordering(queryset.annotate(**needed) if needed else queryset, keys, digest)


def after(keys: list[Key], values: list) -> Q:
    """The rows strictly after `values` in the order of `keys`."""
    same_way = len({k.descending for k in keys}) == 1
    if same_way and not any(k.nullable for k in keys) and None not in values:
        lookup = TupleLessThan if keys[0].descending else TupleGreaterThan
        return Q(lookup(Tuple(*(F(k.name) for k in keys)), list(values)))
    either = Q(pk__in=[])
    for n, (key, value) in enumerate(zip(keys, values, strict=True)):
        beyond = _beyond(key, value)
        if beyond is None:
            continue
        same = Q()
        for earlier, earlier_value in zip(keys[:n], values[:n], strict=True):
            same &= _equal(earlier, earlier_value)
        either |= same & beyond
    first, first_value = keys[0], values[0]
    if not first.nullable and first_value is not None:
        # Every row after is at or beyond the first key: the range the index scan reads.
        lookup = "lte" if first.descending else "gte"
        either &= Q(**{f"{first.name}__{lookup}": first_value})
    return either


def _equal(key: Key, value) -> Q:
    if value is None:
        return Q(**{f"{key.name}__isnull": True})
    return Q(**{key.name: value})


def _beyond(key: Key, value) -> Q | None:
    """Rows whose `key` comes strictly after `value`; None when none can."""
    if value is None:
        return Q(**{f"{key.name}__isnull": False}) if key.nulls_first else None
    beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable and not key.nulls_first:
        beyond |= Q(**{f"{key.name}__isnull": True})
    return beyond


def key_values(ordering: Ordering, pks: list) -> dict:
    """Each row's key values by primary key: one small read by primary key."""
    names = [k.name for k in ordering.keys]
    rows = (
        ordering.queryset.prefetch_related(None)
        .order_by()
        .filter(pk__in=pks)
        .values_list("pk", *names)
    )
    return {row[0]: list(row[1:]) for row in rows}


class _CursorSerializer:
    """JSON for django.core.signing, with dates, datetimes (to the microsecond, unlike
    DjangoJSONEncoder), decimals and UUIDs as strings; the filters convert them back."""

    @staticmethod
    def _plain(value):
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, Decimal | UUID):
            return str(value)
        raise TypeError(f"{type(value).__name__} cannot be in a cursor")

    def dumps(self, obj) -> bytes:
        return json.dumps(obj, default=self._plain, separators=(",", ":")).encode()

    def loads(self, data: bytes):
        return json.loads(data.decode())


def encode(path: str, ordering: Ordering, values: list, backwards: bool) -> str:
    return signing.dumps(
        {"o": ordering.digest, "b": int(backwards), "v": values},
        salt=f"{_SALT}:{path}",
        serializer=_CursorSerializer,
        compress=True,
    )


def decode(path: str, ordering: Ordering, token: str) -> tuple[list, bool]:
    """The key values and direction in `token`; DomainValidationError on `cursor` when it
    is not a cursor of this list in this order."""

    def refuse(message: str) -> DomainValidationError:
        return DomainValidationError(
            field=CURSOR_PARAM, code=CoreError.INVALID_CURSOR, message=message
        )

    try:
        payload = signing.loads(token, salt=f"{_SALT}:{path}", serializer=_CursorSerializer)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise refuse(
            "Not a cursor of this list: use the `next` or `previous` link of its last "
            "answer, or an empty cursor to start."
        ) from error
    if not isinstance(payload, dict) or payload.get("o") != ordering.digest:
        raise refuse(
            "This cursor was made for another order: keep `sort`/`ordering` as they were, "
            "or start again with an empty cursor."
        )
    values = payload.get("v")
    if not isinstance(values, list) or len(values) != len(ordering.keys):
        raise refuse("This cursor does not fit this list.")
    return values, bool(payload.get("b"))


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def read_page(queryset, *, path: str, cursor: str, size: int) -> KeysetPage:
    """The `size` rows after `cursor` (or before it, for a backward cursor; from the
    start when empty) and the cursors of the pages on either side. One query for the
    rows (one more than asked, to know whether more follow) and one by primary key for
    the first and last rows' key values."""
    ordering = ordering_of(queryset)
    values, backwards = decode(path, ordering, cursor) if cursor else (None, False)
    keys = ordering.reversed() if backwards else ordering.keys
    page = ordering.in_order(keys)
    if values is not None:
        page = page.filter(after(keys, values))
    rows = list(page[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage(rows, None, None)
    ends = key_values(ordering, [rows[0].pk, rows[-1].pk])
    # Backwards, the rows after this page are the ones the cursor came from.
    has_next = backwards or more
    has_previous = more if backwards else values is not None
    return KeysetPage(
        rows,
        encode(path, ordering, ends[rows[-1].pk], backwards=False) if has_next else None,
        encode(path, ordering, ends[rows[0].pk], backwards=True) if has_previous else None,
    )


def cursor_after(queryset, *, path: str, pk) -> str:
    """The cursor of the page after row `pk` of `queryset` (a list's filtered queryset),
    for the list at `path`: what its `next` link would carry."""
    ordering = ordering_of(queryset)
    return encode(path, ordering, key_values(ordering, [pk])[pk], backwards=False)


def rows_in_order(queryset):
    """`queryset` in the order its cursor pages read it."""
    return ordering_of(queryset).in_order()
