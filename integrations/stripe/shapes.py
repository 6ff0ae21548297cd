"""Check a Stripe JSON object against the official library's typed resource classes.

stripe-python is generated from Stripe's OpenAPI spec for exactly one API version (the
one `stripe.api_version` names): each resource class (`stripe.Invoice`, `stripe.Charge`
...) and its nested classes annotate every field with its type, `Optional[...]` where the
field may be null or absent, `Literal[...]` for enums, `ExpandableField[X]` for an id or
the expanded object. `problems()` walks a JSON object along those annotations.

- `strict=True` (the simulator's conformance tests): every field must be declared, every
  non-Optional field present, every enum value one of the declared literals (also where
  the library widens an enum to `Union[Literal[...], str]` for forward compatibility).
- `strict=False` (the webhook, against real Stripe): undeclared fields and enum values
  Stripe may add later are accepted; declared fields must still have their types, so a
  body of the wrong shape is refused before anything reads it.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import sys
import types
import typing
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal, Union

from stripe import StripeObject
from stripe._list_object import ListObject
from stripe._object_classes import OBJECT_CLASSES

MAX_PROBLEMS = 50


def resource_class(object_name: str) -> type[StripeObject] | None:
    """The library's class for a JSON `object` value such as "invoice"."""
    found = OBJECT_CLASSES.get(object_name)
    if found is None:
        return None
    module, name = found
    return getattr(importlib.import_module(module), name)


@functools.cache
def _module_names(module_name: str) -> dict[str, Any]:
    """The module's globals plus what it imports only under TYPE_CHECKING (the forward
    references in its annotations)."""
    module = sys.modules[module_name]
    names = dict(vars(module))
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stripe"):
            for alias in node.names:
                if (alias.asname or alias.name) in names:
                    continue
                try:
                    imported = importlib.import_module(node.module)
                    names[alias.asname or alias.name] = getattr(imported, alias.name)
                except (ImportError, AttributeError):
                    continue
    return names


@functools.cache
def fields(cls: type) -> dict[str, Any]:
    """Declared fields of a resource or nested class: name -> resolved annotation."""
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or not issubclass(klass, StripeObject) or klass is StripeObject:
            continue
        names = _module_names(klass.__module__)
        local = dict(vars(klass))
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name.startswith("_"):
                continue
            if isinstance(annotation, str):
                annotation = eval(annotation, names, local)  # noqa: S307 - library source
            resolved = typing._eval_type(annotation, names, local)  # type: ignore[attr-defined]
            if typing.get_origin(resolved) is ClassVar:
                continue
            hints[name] = resolved
    return hints


def _optional(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in (
        typing.get_args(annotation)
    )


def problems(value: Any, cls: type, *, strict: bool, path: str = "") -> list[str]:
    """What in `value` (a JSON object) does not fit `cls`; empty when it fits."""
    found: list[str] = []
    _check_object(value, cls, strict, path or cls.__name__, found)
    return found[:MAX_PROBLEMS]


def _check_object(value: Any, cls: type, strict: bool, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: expected a {cls.__name__} object, got {type(value).__name__}")
        return
    declared = fields(cls)
    for name, annotation in declared.items():
        if name not in value:
            if strict and not _optional(annotation):
                found.append(f"{path}.{name}: missing (always present in {cls.__name__})")
            continue
        _check(value[name], annotation, strict, f"{path}.{name}", found)
    if strict:
        for name in value:
            if name not in declared:
                found.append(f"{path}.{name}: not a field of {cls.__name__} at this version")


def _check(value: Any, annotation: Any, strict: bool, path: str, found: list[str]) -> None:
    if len(found) >= MAX_PROBLEMS or annotation is Any:
        return
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        _check_union(value, args, strict, path, found)
    elif origin is Literal:
        if value not in args:
            found.append(f"{path}: {value!r} is not one of {list(args)}")
    elif origin in (list, typing.List):  # noqa: UP006 - the library's own spelling
        if not isinstance(value, list):
            found.append(f"{path}: expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check(item, args[0], strict, f"{path}[{i}]", found)
    elif origin in (dict, typing.Dict):  # noqa: UP006
        _check_mapping(value, args[1] if args else Any, strict, path, found)
    elif inspect.isclass(origin) and issubclass(origin, ListObject):
        _check_list_object(value, args[0] if args else Any, strict, path, found)
    elif inspect.isclass(origin) and issubclass(origin, StripeObject):
        # UntypedStripeObject[str] and the like: a free-form map of that value type.
        _check_mapping(value, args[0] if args else Any, strict, path, found)
    elif inspect.isclass(annotation) and issubclass(annotation, ListObject):
        _check_list_object(value, Any, strict, path, found)
    elif inspect.isclass(annotation) and issubclass(annotation, StripeObject):
        _check_object(value, annotation, strict, path, found)
    else:
        _check_scalar(value, annotation, path, found)


def _check_union(value: Any, args: tuple, strict: bool, path: str, found: list[str]) -> None:
    if value is None:
        if type(None) not in args:
            found.append(f"{path}: null where the library declares a value")
        return
    branches = [a for a in args if a is not type(None)]
    literals = [a for a in branches if typing.get_origin(a) is Literal]
    if strict and literals and str in branches and isinstance(value, str):
        # An enum the library keeps open (`Union[Literal[...], str]`): strict wants a
        # declared value.
        branches = literals
    attempts = []
    for branch in branches:
        attempt: list[str] = []
        _check(value, branch, strict, path, attempt)
        if not attempt:
            return
        attempts.append(attempt)
    found.extend(min(attempts, key=len) if attempts else [f"{path}: no type fits"])


def _check_mapping(value: Any, item: Any, strict: bool, path: str, found: list[str]) -> None:
    if not isinstance(value, dict):
        found.append(f"{path}: expected an object, got {type(value).__name__}")
        return
    for key, inner in value.items():
        _check(inner, item, strict, f"{path}[{key!r}]", found)


def _check_list_object(value: Any, item: Any, strict: bool, path: str, found: list[str]) -> None:
    if not isinstance(value, dict) or value.get("object") != "list":
        found.append(f"{path}: expected a list object")
        return
    if not isinstance(value.get("data"), list) or not isinstance(value.get("has_more"), bool):
        found.append(f"{path}: a list object needs data and has_more")
        return
    extra = set(value) - {"object", "data", "has_more", "url"}
    if strict and extra:
        found.append(f"{path}: unexpected keys {sorted(extra)}")
    for i, element in enumerate(value["data"]):
        _check(element, item, strict, f"{path}.data[{i}]", found)


def _decimal(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False


def _check_scalar(value: Any, annotation: Any, path: str, found: list[str]) -> None:
    if annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif annotation is str:
        ok = isinstance(value, str)
    elif annotation is Decimal:
        # `*_decimal` fields travel as strings; the library parses them.
        ok = isinstance(value, str) and _decimal(value)
    elif inspect.isclass(annotation):
        ok = isinstance(value, annotation)
    else:
        ok = True  # an annotation this checker does not model
    if not ok:
        found.append(f"{path}: {type(value).__name__} where the library declares {annotation}")
