"""Stripe's form encoding: `metadata[k]=v`, `lines[0][amount]=100`, `expand[]=x`.

Decoded into nested dicts and lists of strings; the typed getters below then coerce
values the way Stripe does (ints, booleans, enums) and name the offending `param` when a
value is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid_request, parameter_missing, parameter_unknown

# Hash parameters whose keys are free-form: never turned into lists even if keys are digits.
FREE_FORM_HASHES = {"metadata"}
_KEY_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

Params = dict[str, Any]


def _split_key(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    if not rest:
        return [key]
    rest = "[" + rest
    segments = _KEY_SEGMENT.findall(rest)
    if not head or "".join(f"[{s}]" for s in segments) != rest:
        raise invalid_request(f"Invalid request: malformed parameter name {key!r}.")
    return [head, *segments]


def decode_form(raw: str) -> Params:
    """Decode an x-www-form-urlencoded body (or query string) into nested params."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        path = _split_key(key)
        node = root
        for depth, segment in enumerate(path):
            last = depth == len(path) - 1
            if segment == "":  # `expand[]=a&expand[]=b` appends
                segment = str(len(node))
            if last:
                if isinstance(node.get(segment), dict):
                    raise invalid_request(
                        f"Invalid request: {key} given both as a value and a hash."
                    )
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    raise invalid_request(
                        f"Invalid request: {key} given both as a value and a hash."
                    )
                node = child
    return _listify(root, parent=None)


def _listify(node: Any, parent: str | None) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v, k) for k, v in node.items()}
    if parent not in FREE_FORM_HASHES and converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


def check_known(params: Params, allowed: Iterable[str], *, prefix: str = "") -> None:
    """Reject parameters we do not model, as Stripe rejects ones it does not know."""
    allowed = set(allowed) | {"expand"}
    for name in params:
        if name not in allowed:
            raise parameter_unknown(f"{prefix}[{name}]" if prefix else name)


def get_str(
    params: Params, name: str, *, required: bool = False, max_length: int = 5000, label: str = ""
) -> str | None:
    label = label or name
    value = params.get(name)
    if value is None:
        if required:
            raise parameter_missing(label)
        return None
    if not isinstance(value, str):
        raise invalid_request(f"Invalid string: {label} must be a string.", param=label)
    if required and value == "":
        raise invalid_request(
            f"You passed an empty string for '{label}'. We assume empty values are an attempt "
            f"to unset a parameter; however '{label}' cannot be unset.",
            code="parameter_invalid_empty",
            param=label,
        )
    if len(value) > max_length:
        raise invalid_request(
            f"Invalid string: {label} must be at most {max_length} characters.", param=label
        )
    return value


def get_int(
    params: Params,
    name: str,
    *,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
    label: str = "",
) -> int | None:
    label = label or name
    raw = get_str(params, name, required=required, label=label)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"-?\d+", raw):
        raise invalid_request(
            f"Invalid integer: {raw}", code="parameter_invalid_integer", param=label
        )
    value = int(raw)
    if minimum is not None and value < minimum:
        raise invalid_request(
            f"This value must be greater than or equal to {minimum}.",
            code="parameter_invalid_integer",
            param=label,
        )
    if maximum is not None and value > maximum:
        raise invalid_request(
            f"This value must be less than or equal to {maximum}.",
            code="parameter_invalid_integer",
            param=label,
        )
    return value


def get_bool(params: Params, name: str, *, label: str = "") -> bool | None:
    label = label or name
    raw = get_str(params, name, label=label)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise invalid_request(f"Invalid boolean: {raw}", param=label)
    return raw == "true"


def get_decimal(params: Params, name: str, *, label: str = "") -> Decimal | None:
    label = label or name
    raw = get_str(params, name, label=label)
    if raw is None or raw == "":
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise invalid_request(f"Invalid decimal: {raw}", param=label) from None
    if not value.is_finite() or -value.as_tuple().exponent > 12:
        raise invalid_request(f"Invalid decimal: {raw} (at most 12 decimal places)", param=label)
    return value


def get_enum(
    params: Params, name: str, choices: Iterable[str], *, default: str | None = None
) -> str | None:
    raw = get_str(params, name)
    if raw is None or raw == "":
        return default
    choices = list(choices)
    if raw not in choices:
        raise invalid_request(f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
    return raw


def get_hash(params: Params, name: str, allowed: Iterable[str]) -> dict[str, Any] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise invalid_request(f"Invalid hash: {name} must be a hash.", param=name)
    check_known(value, allowed, prefix=name)
    return value


def get_list(params: Params, name: str) -> list[Any] | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):  # a lone `events=x` instead of `events[0]=x`
        return [value]
    if not isinstance(value, list):
        raise invalid_request(f"Invalid array: {name} must be an array.", param=name)
    return value


def get_currency(params: Params, name: str = "currency", *, required: bool = False) -> str | None:
    raw = get_str(params, name, required=required)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", raw):
        raise invalid_request(f"Invalid currency: {raw}", param=name)
    return raw.lower()


def get_metadata(params: Params, name: str = "metadata") -> dict[str, str] | None:
    """Stripe's metadata rules: 50 keys, keys up to 40 and values up to 500 characters.

    Returns None when absent, {} when the caller unsets it all with `metadata=`, and a
    dict in which "" marks a key to delete.
    """
    if name not in params:
        return None
    value = params[name]
    if value == "":
        return {}
    if not isinstance(value, dict) or any(not isinstance(v, str) for v in value.values()):
        raise invalid_request(
            "Invalid metadata: metadata must be a hash of string keys to string values.",
            param=name,
        )
    if len(value) > 50:
        raise invalid_request("Metadata can have at most 50 keys.", param=name)
    for key, item in value.items():
        if len(key) > 40:
            raise invalid_request(
                f"Metadata keys can be at most 40 characters; {key!r} is longer.",
                param=f"{name}[{key}]",
            )
        if len(item) > 500:
            raise invalid_request(
                "Metadata values can be at most 500 characters.", param=f"{name}[{key}]"
            )
    return value


def apply_metadata(
    current: dict[str, str], change: dict[str, str] | None, *, replace: bool
) -> dict:
    """Metadata updates merge; an empty value deletes its key; `metadata=` clears all."""
    if change is None:
        return current
    if change == {}:
        return {}
    merged = {} if replace else dict(current)
    for key, value in change.items():
        if value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > 50:
        raise invalid_request("Metadata can have at most 50 keys.", param="metadata")
    return merged


def get_expand(params: Params) -> list[str]:
    paths = get_list(params, "expand") or []
    if any(not isinstance(p, str) for p in paths):
        raise invalid_request("Invalid array: expand must be a list of strings.", param="expand")
    return paths
