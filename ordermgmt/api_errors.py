from rest_framework.response import Response
from rest_framework.views import exception_handler

from ordermgmt.errors import DomainValidationError


def domain_exception_handler(exc, context):
    """DomainValidationError becomes HTTP 400 {field, code, message}."""
    if isinstance(exc, DomainValidationError):
        return Response(exc.as_dict(), status=400)
    return exception_handler(exc, context)
