"""Compiles a parsed SOQL query against the schema and evaluates it on the store.

Compilation resolves every field path once (so an unknown field fails before any row is
read) and turns WHERE/ORDER BY into closures; evaluation is then a single pass over the
table. Callers hold the store lock while executing and projecting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, Protocol

from . import soql
from .metadata import NUMBER_TYPES, STRING_TYPES, FieldDef, ObjectDef
from .store import Record, Store
from .values import StoreError, normalize_id, to_wire

Getter = Callable[[Record], Any]
Projector = Callable[[Record], dict[str, Any]]
Predicate = Callable[[Record], bool]


@dataclass
class Path:
    hops: list[tuple[FieldDef, str, ObjectDef]]  # (lookup field, relationship, target)
    field: FieldDef


@dataclass
class Compiled:
    obj: ObjectDef
    columns: list[Path | tuple[str, str, Compiled]]  # path, or (relationship, field, sub)
    count_only: bool
    predicate: Predicate | None
    order: list[tuple[Getter, bool, bool]]
    limit: int | None
    offset: int | None


def invalid_field(name: str, obj: ObjectDef) -> StoreError:
    return StoreError(
        "INVALID_FIELD",
        f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a "
        "custom field, be sure to append the '__c' after the custom field name.",
    )


def resolve(obj: ObjectDef, dotted: str, store: Store) -> Path:
    parts = dotted.split(".")
    # Salesforce accepts the queried object's own name as a prefix: Opportunity.Name.
    if len(parts) > 1 and parts[0].lower() == obj.name.lower() and obj.field(parts[1]):
        parts = parts[1:]
    hops: list[tuple[FieldDef, str, ObjectDef]] = []
    current = obj
    for rel in parts[:-1]:
        lookup = current.relationship(rel)
        if lookup is None or lookup.reference_to is None:
            raise StoreError(
                "INVALID_FIELD",
                f"Didn't understand relationship '{rel}' in "
                f"field path '{dotted}' on entity '{current.name}'.",
            )
        target = store.schema.get_object(lookup.reference_to)
        assert target is not None
        hops.append((lookup, lookup.relationship_name or rel, target))
        current = target
    fdef = current.field(parts[-1])
    if fdef is None:
        raise invalid_field(parts[-1], current)
    return Path(hops, fdef)


def make_getter(path: Path, store: Store) -> Getter:
    name = path.field.name
    if not path.hops:
        return lambda record: record[name]
    lookups = [hop[0].name for hop in path.hops]

    def getter(record: Record) -> Any:
        current: Record | None = record
        for lookup in lookups:
            current = store.lookup(current[lookup])
            if current is None:
                return None
        return current[name]

    return getter


def _comparable(fdef: FieldDef) -> Callable[[Any], Any]:
    if fdef.type in STRING_TYPES and fdef.type not in ("id", "reference"):
        # SOQL compares text case-insensitively.
        return lambda value: value.casefold() if isinstance(value, str) else value
    return lambda value: value


def _literal_value(fdef: FieldDef, literal: soql.Literal, store: Store) -> Any:
    kind, value = literal.kind, literal.value
    if kind == "null":
        return None
    expected = {
        "boolean": ("boolean",),
        "date": ("date", "dateliteral"),
        "datetime": ("datetime", "dateliteral"),
    }.get(fdef.type, ("number",) if fdef.type in NUMBER_TYPES else ("string",))
    if kind not in expected:
        message = f"value of filter criterion for field '{fdef.name}' must be of type {fdef.type}"
        if expected == ("string",):
            message += " and should be enclosed in quotes"
        elif kind == "string":
            message += " and should not be enclosed in quotes"
        raise soql.malformed(message)
    if kind == "dateliteral":
        start, end = soql.date_literal_range(literal, store.now().date())
        if fdef.type == "datetime":
            return (datetime.combine(start, time(), UTC), datetime.combine(end, time(), UTC))
        return (start, end)
    if fdef.type in ("id", "reference"):
        normalized = normalize_id(value)
        if normalized is None:
            raise StoreError("INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value}")
        return normalized
    if fdef.type == "int":
        return int(value)
    return value.replace("\\%", "%").replace("\\_", "_") if kind == "string" else value


def _like_regex(pattern: str) -> re.Pattern[str]:
    out, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(re.escape(next(chars, "")))
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def _compare(op: str, get: Getter, norm: Callable[[Any], Any], target: Any) -> Predicate:
    if isinstance(target, tuple):  # relative date literal: a [start, end) range
        start, end = target
        ranges: dict[str, Predicate] = {
            "=": lambda r: (v := get(r)) is not None and start <= v < end,
            "!=": lambda r: (v := get(r)) is None or not start <= v < end,
            "<": lambda r: (v := get(r)) is not None and v < start,
            "<=": lambda r: (v := get(r)) is not None and v < end,
            ">": lambda r: (v := get(r)) is not None and v >= end,
            ">=": lambda r: (v := get(r)) is not None and v >= start,
        }
        return ranges[op]
    if target is None and op not in ("=", "!="):
        raise soql.malformed(f"null can only be compared with = or !=, not {op}")
    want = norm(target)
    compare: dict[str, Predicate] = {
        "=": lambda r: norm(get(r)) == want,
        "!=": lambda r: norm(get(r)) != want,
        "<": lambda r: (v := get(r)) is not None and norm(v) < want,
        "<=": lambda r: (v := get(r)) is not None and norm(v) <= want,
        ">": lambda r: (v := get(r)) is not None and norm(v) > want,
        ">=": lambda r: (v := get(r)) is not None and norm(v) >= want,
    }
    return compare[op]


def compile_condition(node: Any, obj: ObjectDef, store: Store, include_deleted: bool) -> Predicate:
    if isinstance(node, soql.BoolOp):
        parts = [compile_condition(i, obj, store, include_deleted) for i in node.items]
        if node.op == "AND":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)
    if isinstance(node, soql.Not):
        inner = compile_condition(node.item, obj, store, include_deleted)
        return lambda r: not inner(r)
    path = resolve(obj, node.path, store)
    fdef, get, norm = path.field, make_getter(path, store), _comparable(path.field)
    if node.op == "LIKE":
        if fdef.type not in STRING_TYPES or fdef.type in ("id", "reference"):
            raise StoreError(
                "INVALID_QUERY_FILTER_OPERATOR",
                f"invalid operator on {fdef.type} field: LIKE {fdef.name}",
            )
        regex = _like_regex(node.value.value)
        return lambda r: (v := get(r)) is not None and regex.fullmatch(v) is not None
    if node.op in ("IN", "NOTIN"):
        if isinstance(node.value, soql.Query):
            wanted = _semi_join(node.value, store, include_deleted)
        else:
            wanted = {norm(_literal_value(fdef, lit, store)) for lit in node.value}
        if node.op == "IN":
            return lambda r: norm(get(r)) in wanted
        return lambda r: norm(get(r)) not in wanted
    return _compare(node.op, get, norm, _literal_value(fdef, node.value, store))


def _semi_join(query: soql.Query, store: Store, include_deleted: bool) -> set[Any]:
    """Id IN (SELECT AccountId FROM Opportunity ...): evaluated once, as a set."""
    if len(query.fields) != 1 or not isinstance(query.fields[0], str) or query.count_only:
        raise soql.malformed("a semi-join subquery selects exactly one id field")
    compiled = compile_query(query, store, include_deleted=False)
    path = compiled.columns[0]
    assert isinstance(path, Path)
    if path.field.type not in ("id", "reference"):
        raise soql.malformed("a semi-join subquery must select an id or a lookup field")
    get = make_getter(path, store)
    return {get(r) for r in execute(compiled, store, include_deleted=False)}


def compile_query(
    query: soql.Query, store: Store, *, include_deleted: bool, parent: ObjectDef | None = None
) -> Compiled:
    if parent is None:
        obj = store.schema.get_object(query.object)
        if obj is None:
            raise StoreError("INVALID_TYPE", f"sObject type '{query.object}' is not supported.")
    else:
        rel = parent.child(query.object)
        if rel is None:
            raise StoreError(
                "INVALID_TYPE",
                f"Didn't understand relationship '{query.object}' "
                f"in FROM part of query call on entity '{parent.name}'.",
            )
        obj = store.schema.get_object(rel.child)
        assert obj is not None
    columns: list[Path | tuple[str, str, Compiled]] = []
    for item in query.fields:
        if isinstance(item, soql.SubQuery):
            if parent is not None:
                raise soql.malformed("nested subqueries are not supported")
            rel = obj.child(item.relationship)
            if rel is None:
                raise StoreError(
                    "INVALID_TYPE",
                    f"Didn't understand relationship "
                    f"'{item.relationship}' in FROM part of query call. "
                    f"Check the child relationship name on '{obj.name}'.",
                )
            sub = compile_query(item.query, store, include_deleted=include_deleted, parent=obj)
            columns.append((rel.name, rel.field, sub))
        else:
            columns.append(resolve(obj, item, store))
    predicate = (
        compile_condition(query.where, obj, store, include_deleted)
        if query.where is not None
        else None
    )
    order = []
    for item in query.order:
        path = resolve(obj, item.path, store)
        norm = _comparable(path.field)
        getter = make_getter(path, store)
        order.append(
            ((lambda g, n: lambda r: n(g(r)))(getter, norm), item.descending, item.nulls_first)
        )
    return Compiled(obj, columns, query.count_only, predicate, order, query.limit, query.offset)


def execute(
    compiled: Compiled, store: Store, *, include_deleted: bool, rows: list[Record] | None = None
) -> list[Record]:
    """Matching internal records, sorted and limited. `rows` narrows the candidates."""
    candidates = rows if rows is not None else store.rows(compiled.obj.name)
    predicate = compiled.predicate
    result = [
        r
        for r in candidates
        if (include_deleted or not r["IsDeleted"]) and (predicate is None or predicate(r))
    ]
    for getter, descending, nulls_first in reversed(compiled.order):
        null_rank = 1 if nulls_first == descending else 0

        def key(
            record: Record, getter: Getter = getter, null_rank: int = null_rank
        ) -> tuple[int, Any]:
            value = getter(record)
            return (null_rank, 0) if value is None else (1 - null_rank, value)

        result.sort(key=key, reverse=descending)
    start = compiled.offset or 0
    end = start + compiled.limit if compiled.limit is not None else None
    return result[start:end] if (start or end is not None) else result


class ChildPager(Protocol):
    """Where a child relationship result larger than one child page leaves its rest.

    Salesforce returns at most `batch` children inline (`done: false` and a
    `nextRecordsUrl` on the child result); the rest is read with queryMore on that URL.
    """

    batch: int

    def open(self, rows: list[Record], project: Projector) -> str: ...


def make_projector(
    compiled: Compiled,
    store: Store,
    version: str,
    *,
    include_deleted: bool,
    child_pager: ChildPager | None = None,
) -> Callable[[Record], dict[str, Any]]:
    """Record -> the JSON dict Salesforce returns for it, fields in SELECT order."""
    url_base = f"/services/data/v{version}/sobjects/"
    obj_name = compiled.obj.name
    steps: list[Callable[[Record, dict[str, Any]], None]] = []
    for column in compiled.columns:
        if isinstance(column, Path):
            steps.append(_path_step(column, store, url_base))
        else:
            rel_name, field, sub = column
            steps.append(
                _child_step(rel_name, field, sub, store, version, include_deleted, child_pager)
            )

    def project(record: Record) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": obj_name, "url": f"{url_base}{obj_name}/{record['Id']}"}
        }
        for step in steps:
            step(record, out)
        return out

    return project


def _path_step(path: Path, store: Store, url_base: str) -> Callable[[Record, dict[str, Any]], None]:
    name, kind = path.field.name, path.field.type

    def step(record: Record, out: dict[str, Any]) -> None:
        for lookup, rel_name, target in path.hops:
            parent = store.lookup(record[lookup.name])
            if parent is None:
                out.setdefault(rel_name, None)
                return
            nested = out.get(rel_name)
            if nested is None:
                nested = {
                    "attributes": {
                        "type": target.name,
                        "url": f"{url_base}{target.name}/{parent['Id']}",
                    }
                }
                out[rel_name] = nested
            record, out = parent, nested
        out[name] = to_wire(record[name], kind)

    return step


def _child_step(
    rel_name: str,
    field: str,
    sub: Compiled,
    store: Store,
    version: str,
    include_deleted: bool,
    child_pager: ChildPager | None,
) -> Callable[[Record, dict[str, Any]], None]:
    project = make_projector(sub, store, version, include_deleted=include_deleted)
    child_obj = sub.obj.name

    def step(record: Record, out: dict[str, Any]) -> None:
        rows = store.children(child_obj, field, record["Id"])
        matched = execute(sub, store, include_deleted=include_deleted, rows=rows) if rows else []
        if not matched:
            # Salesforce returns null, not an empty result, for a parent without children.
            out[rel_name] = None
            return
        batch = child_pager.batch if child_pager is not None else len(matched)
        result: dict[str, Any] = {"totalSize": len(matched), "done": len(matched) <= batch}
        if not result["done"]:
            assert child_pager is not None
            result["nextRecordsUrl"] = child_pager.open(matched, project)
        result["records"] = [project(child) for child in matched[:batch]]
        out[rel_name] = result

    return step


def prepare(
    text: str,
    store: Store,
    version: str,
    *,
    include_deleted: bool,
    child_pager: ChildPager | None = None,
) -> tuple[list[Record], Projector | None]:
    """Parse, compile and evaluate a SOQL string.

    Returns the matching internal records and the function that renders one as JSON
    (None for COUNT()). Rendering is left to the caller so that a 50,000-row result is
    rendered a page at a time; the records themselves are copy-on-write snapshots.
    """
    parsed = soql.parse(text)
    with store.locked():
        compiled = compile_query(parsed, store, include_deleted=include_deleted)
        rows = execute(compiled, store, include_deleted=include_deleted)
        if compiled.count_only:
            return rows, None
        return rows, make_projector(
            compiled, store, version, include_deleted=include_deleted, child_pager=child_pager
        )
