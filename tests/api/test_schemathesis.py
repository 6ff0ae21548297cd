"""Schemathesis against the live /api/v1/schema/ for each role and for anonymous callers.

Every operation in the schema is exercised through the WSGI app with a few derandomized
examples; any 5xx or any response that does not match the schema fails the test. The
examples per operation are few so the six runs stay within about a minute and a half.

Cost (one process, load 0.5-0.7): 22 s for the seven tests; ~3.5 s a role for 169
operations x 2 examples, about half of it the requests through Django (~7 queries each)
and half Hypothesis drawing the examples (building the strategies is ~5 %); the first
role also reads the schema (~2.5 s), once per session. Nothing per example is set up
beyond a savepoint, so a cheaper run would have to test less. (224 s was measured at
load 6-13; 31 s at load 3.7.)
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from billing.services import apply_payment
from ordermgmt import roles
from ordermgmt.security.tokens import issue_api_token
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Two per operation (plus the schema's own examples) keeps the six runs near a minute and a
# half on an idle CI machine; SCHEMATHESIS_EXAMPLES raises it for a deeper local run.
EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "2"))
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
    _, plaintext = issue_api_token(user=UserFactory(role=role))
    return {"Authorization": f"Token {plaintext}"}


_loaded = {}


def _load_schema():
    """Read once from the live endpoint (as an Auditor), then reused by every role."""
    if "schema" not in _loaded:
        _, reader_token = issue_api_token(user=UserFactory(role=roles.AUDITOR))
        _loaded["schema"] = schemathesis.openapi.from_wsgi(
            SCHEMA_PATH,
            get_wsgi_application(),
            headers={"Authorization": f"Token {reader_token}", "Accept": "application/json"},
        )
    return _loaded["schema"]


def _summary(err: BaseException) -> str:
    """The failure's kind and the curl line that reproduces it, on a few lines."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    kept = [
        line
        for line in lines
        if line.startswith(("- ", "curl", "[", "Schema at", "Value:", "None is"))
        or " is not " in line
    ]
    return f"{type(err).__name__}: " + " | ".join(kept or lines[:3])[:1500]


def _exercise(operation, headers: dict[str, str]) -> tuple[int, list[str]]:
    """(requests made, failures) for one operation."""
    failures: list[str] = []
    calls = []

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
        # Marked as the test case's own block (as Django's TestCase does) so that the
        # services' durable transactions still open inside it.
        savepoint = transaction.atomic()
        savepoint._from_testcase = True
        calls.append(case)
        try:
            with savepoint:
                case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as err:  # every failure kind is reported
            failures.append(f"{operation.label}: {_summary(err)}")

    run()
    return len(calls), failures


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
    exercised = 0
    for operation in operations:
        calls, found = _exercise(operation, headers)
        exercised += calls > 0
        failures.extend(found)
    assert exercised == len(operations) == expected > 90
    assert failures == [], "\n".join(failures)


def _book():
    """One of each record the API lists: a flagged contract under review, an issued and
    partly paid invoice, a credit note, a refund, a billing run."""
    from billing.services import issue_credit_note, refund_payment
    from tests.billing.helpers import issued_invoices, pay
    from tests.factories import billable_account
    from tests.ordermgmt.dealdesk_factories import flagged_contract

    account = billable_account()
    (invoice,) = issued_invoices(account)
    payment = pay(account, "15000.00")
    apply_payment(payment=payment, invoice=invoice, amount=Decimal("5000.00"), actor=None)
    refund_payment(payment=payment, amount=Decimal("100.00"), actor=None, reference="R", reason="R")
    issue_credit_note(invoice=invoice, actor=None, reason="Discount", amount=Decimal("100.00"))
    flagged_contract()


def _parameters(operation, location: str) -> list:
    return [p for p in operation.definition.raw.get("parameters", []) if p["in"] == location]


def test_every_read_of_real_records_matches_the_schema():
    """Fuzzed ids mostly miss; here every list and the detail of its first row is read
    with records in the book, so a null where the schema promises a value shows up."""
    _book()
    schema = _load_schema()
    headers = _auth_headers(roles.ADMIN)
    reads = [op.ok() for op in schema.get_all_operations() if op.ok().method.upper() == "GET"]
    first_ids: dict[str, object] = {}
    failures: list[str] = []
    checked = 0
    for operation in sorted(reads, key=lambda op: op.path.count("{")):
        if any(p.get("required") for p in _parameters(operation, "query")):
            continue
        path_names = [p["name"] for p in _parameters(operation, "path")]
        if path_names:
            list_path = operation.path.split("{")[0]
            if path_names != ["id"] or list_path not in first_ids:
                continue
            case = operation.Case(path_parameters={"id": first_ids[list_path]})
        else:
            case = operation.Case()
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as err:
            failures.append(f"{operation.label}: {_summary(err)}")
            continue
        checked += 1
        body = response.json() if response.status_code == 200 else None
        results = body.get("results") if isinstance(body, dict) else None
        if results and isinstance(results[0], dict) and "id" in results[0]:
            first_ids[operation.path] = results[0]["id"]
    assert failures == [], "\n".join(failures)
    assert checked >= 35  # 38 reads today: every list, and the detail of each non-empty one
