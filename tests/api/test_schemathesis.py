"""Schemathesis against the live /api/v1/schema/ for each role and for anonymous callers.

Every operation in the schema is exercised through the WSGI app with a few derandomized
examples; any 5xx or any response that does not match the schema fails the test. The
examples per operation are few so the six runs stay within about a minute and a half.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ordermgmt import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 2
SCHEMA_PATH = "/api/v1/schema/"
CHECKS = [not_a_server_error, response_schema_conformance]
ANONYMOUS = "anonymous"


@pytest.fixture(autouse=True)
def connection_kept_between_requests():
    """The WSGI handler closes the connection after each request; the test's transaction
    must survive it, as with Django's test client."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _auth_headers(role: str) -> dict[str, str]:
    if role == ANONYMOUS:
        return {}
    token = Token.objects.create(user=UserFactory(role=role))
    return {"Authorization": f"Token {token.key}"}


def _load_schema():
    reader = Token.objects.create(user=UserFactory(role=roles.AUDITOR))
    return schemathesis.openapi.from_wsgi(
        SCHEMA_PATH,
        get_wsgi_application(),
        headers={"Authorization": f"Token {reader.key}", "Accept": "application/json"},
    )


def _summary(err: BaseException) -> str:
    """The failure's kind and the curl line that reproduces it, on a few lines."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    kept = [line for line in lines if line.startswith(("- ", "curl", "[")) or "mismatch" in line]
    return f"{type(err).__name__}: " + " | ".join(kept or lines[:3])[:1500]


def _exercise(operation, headers: dict[str, str]) -> list[str]:
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case):
        # A savepoint per call, so that one failing request does not poison the next ones.
        try:
            with transaction.atomic():
                case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as err:  # every failure kind is reported
            failures.append(f"{operation.label}: {_summary(err)}")

    run()
    return failures


@pytest.mark.parametrize(
    "role",
    [
        roles.ORDER_SPECIALIST,
        roles.DEAL_DESK,
        roles.FINANCE,
        roles.AUDITOR,
        roles.ADMIN,
        ANONYMOUS,
    ],
)
def test_every_operation_answers_without_server_error_and_matches_the_schema(role):
    schema = _load_schema()
    operations = [result.ok() for result in schema.get_all_operations()]
    expected = sum(
        1
        for path_item in schema.raw_schema["paths"].values()
        for method in path_item
        if method in {"get", "post", "put", "patch", "delete"}
    )
    headers = _auth_headers(role)
    failures: list[str] = []
    for operation in operations:
        failures.extend(_exercise(operation, headers))
    assert len(operations) == expected and expected > 90
    assert failures == [], "\n".join(failures)
