"""OpenAPI: every endpoint that takes input documents its 400 answer, with the error
codes of its app's catalog (`<app>/error_codes.py`), the shared core's, and DRF's own
input codes. The catalogs are named in settings (`LEDGERLINE_ERROR_CATALOGS`), so this
module imports no domain app."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

# Codes DRF's serializer fields and parsers give; the error handler passes them through.
INPUT_CODES = (
    "blank",
    "does_not_exist",
    "empty",
    "exponent",
    "incorrect_type",
    "invalid",
    "invalid_choice",
    "max_decimal_places",
    "max_digits",
    "max_length",
    "max_value",
    "max_whole_digits",
    "min_length",
    "min_value",
    "not_a_list",
    "null",
    "parse_error",
    "required",
)


@cache
def catalog_codes(module: str) -> tuple[str, tuple[str, ...]]:
    """The catalog name and codes for a view's module: the longest configured prefix."""
    catalogs = settings.LEDGERLINE_ERROR_CATALOGS
    prefix = max(
        (p for p in catalogs if module == p or module.startswith(p + ".")), key=len, default=None
    )
    shared = import_string(settings.LEDGERLINE_SHARED_ERROR_CATALOG)
    if prefix is None:
        return shared.__name__, tuple(sorted({*shared, *INPUT_CODES}))
    catalog = import_string(catalogs[prefix])
    return catalog.__name__, tuple(sorted({*catalog, *shared, *INPUT_CODES}))


class CatalogAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        takes_input = method != "GET" or any(
            p.get("in") == "query" for p in operation.get("parameters", [])
        )
        if takes_input and "400" not in operation["responses"]:
            operation["responses"]["400"] = self._refusal(registry)
        return operation

    def _refusal(self, registry) -> dict:
        name, codes = catalog_codes(type(self.view).__module__)
        # The catalog is listed, not enforced as an enum: a code passed through from a
        # parser or a vendor (e.g. a bank file's) is still a valid answer.
        code_list = ResolvedComponent(
            name=f"{name}Code",
            type=ResolvedComponent.SCHEMA,
            object=f"{name}Code",
            schema={
                "type": "string",
                "description": "A stable snake_case code; this endpoint's app raises: "
                + ", ".join(codes)
                + ".",
                "x-error-codes": list(codes),
            },
        )
        registry.register_on_missing(code_list)
        component = ResolvedComponent(
            name=f"{name}Response",
            type=ResolvedComponent.SCHEMA,
            object=f"{name}Response",
            schema={
                "type": "object",
                "description": "Bad input or a refused business move: the input at fault "
                "(`__all__` for the whole request), a stable code and a message.",
                "properties": {
                    "field": {"type": "string"},
                    "code": code_list.ref,
                    "message": {"type": "string"},
                },
                "required": ["field", "code", "message"],
            },
        )
        registry.register_on_missing(component)
        return {
            "description": "Refused: nothing was changed.",
            "content": {"application/json": {"schema": component.ref}},
        }
