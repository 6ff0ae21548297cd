"""List objects: `limit`, `starting_after`/`ending_before` cursors, range filters, `has_more`.

Stripe lists newest first; the cursor is an object id and the page continues from that
object's position even when the object itself does not match the filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .errors import invalid_request, parameters_exclusive, resource_missing
from .params import Params, check_known, get_int, get_str
from .store import Store, public

RANGE_KEYS = ("gt", "gte", "lt", "lte")
LIST_PARAMS = ("limit", "starting_after", "ending_before")


def filter_range(
    items: Iterable[dict[str, Any]], params: Params, field: str, *, attribute: str = ""
) -> list[dict]:
    """`created=123` or `created[gte]=100&created[lt]=200`, as Stripe's list filters take."""
    items = list(items)
    attribute = attribute or field
    spec = params.get(field)
    if spec is None or spec == "":
        return items
    if isinstance(spec, str):
        exact = get_int(params, field)
        return [item for item in items if item.get(attribute) == exact]
    if not isinstance(spec, dict):
        raise invalid_request(f"Invalid {field}: must be an integer or a hash.", param=field)
    check_known(spec, RANGE_KEYS, prefix=field)
    bounds = {op: get_int(spec, op, label=f"{field}[{op}]") for op in spec}
    tests: dict[str, Callable[[int, int], bool]] = {
        "gt": lambda v, b: v > b,
        "gte": lambda v, b: v >= b,
        "lt": lambda v, b: v < b,
        "lte": lambda v, b: v <= b,
    }
    return [
        item
        for item in items
        if item.get(attribute) is not None
        and all(
            tests[op](item[attribute], bound) for op, bound in bounds.items() if bound is not None
        )
    ]


def paginate(
    store: Store,
    items: Iterable[dict[str, Any]],
    params: Params,
    *,
    url: str,
    noun: str,
    newest_first: bool = True,
    position: Callable[[str], int | None] | None = None,
    render: Callable[[dict[str, Any]], dict[str, Any]] = public,
) -> dict[str, Any]:
    limit = get_int(params, "limit", minimum=1, maximum=100) or 10
    after = get_str(params, "starting_after") or None
    before = get_str(params, "ending_before") or None
    if after and before:
        raise parameters_exclusive("starting_after", "ending_before")

    def default_position(object_id: str) -> int | None:
        obj = store.find(object_id)
        return obj["_seq"] if obj is not None else None

    locate = position or default_position
    ordered = sorted(items, key=lambda o: o["_seq"], reverse=newest_first)
    keyed = [(o["_seq"], o) for o in ordered]

    def comes_after(seq: int, cursor: int) -> bool:
        return seq < cursor if newest_first else seq > cursor

    if after or before:
        cursor_id = after or before
        cursor = locate(cursor_id)
        if cursor is None:
            raise resource_missing(
                noun, cursor_id, param="starting_after" if after else "ending_before"
            )
        if after:
            rest = [o for seq, o in keyed if comes_after(seq, cursor)]
            page, has_more = rest[:limit], len(rest) > limit
        else:
            rest = [o for seq, o in keyed if comes_after(cursor, seq)]
            page, has_more = rest[-limit:], len(rest) > limit
    else:
        page, has_more = ordered[:limit], len(ordered) > limit
    return {
        "object": "list",
        "data": [render(o) for o in page],
        "has_more": has_more,
        "url": url,
    }
