"""One error shape for every API answer that is not a success: `{field, code, message}`.

`DomainValidationError` from a service, DRF's own input errors (a serializer's nested
`{"lines": [{"quantity": [...]}]}`), and the framework's 401/403/404/405/415/429 all come
out the same way; `field` is `"__all__"` when no single input is at fault. The response
keeps DRF's headers (`WWW-Authenticate` on 401, `Allow` on 405, `Retry-After` on 429).
"""

from __future__ import annotations

from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler

from core.errors import DomainValidationError

ALL = "__all__"


def _join(path: str, key: str) -> str:
    if key in ("non_field_errors", ALL):
        return path or ALL
    return f"{path}.{key}" if path else key


def first_error(detail, path: str = "") -> tuple[str, ErrorDetail] | None:
    """The first leaf of DRF's nested error detail, with its dotted/indexed field path."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            # A list serializer's errors are keyed by the item's index.
            name = f"{path}[{key}]" if isinstance(key, int) else _join(path, str(key))
            found = first_error(value, name)
            if found:
                return found
        return None
    if isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                found = first_error(item, f"{path}[{index}]")
            else:
                found = first_error(item, path)
            if found:
                return found
        return None
    return (path or ALL, detail)


def domain_exception_handler(exc, context):
    """DomainValidationError becomes HTTP 400 {field, code, message}; so does every other
    error DRF answers, in the same shape."""
    if isinstance(exc, DomainValidationError):
        return Response(exc.as_dict(), status=400)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        found = first_error(exc.detail)
        field, detail = found if found else (ALL, ErrorDetail("Invalid input.", "invalid"))
    else:
        # Http404 and Django's PermissionDenied are not APIExceptions: read what DRF made.
        found = first_error(response.data)
        field, detail = ALL, found[1] if found else ErrorDetail("Error.", "error")
    response.data = {
        "field": field,
        "code": getattr(detail, "code", None) or "error",
        "message": str(detail),
    }
    return response
