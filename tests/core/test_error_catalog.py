"""The error-code catalogs: every code a service raises is a catalog member, and the
OpenAPI schema lists each endpoint's codes under its 400 answer."""

import ast
import pathlib
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from billing.error_codes import BillingError
from core.errors import DomainValidationError, ErrorCode
from ordermgmt.error_codes import OrderError

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ("core", "ordermgmt", "billing", "collections_app", "integrations")
CATALOGS = {
    "core/error_codes.py",
    "ordermgmt/error_codes.py",
    "billing/error_codes.py",
    "billing/revenue/error_codes.py",
    "collections_app/error_codes.py",
    "integrations/error_codes.py",
}


def literal_codes() -> list[str]:
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" in rel or "/simulator/" in rel:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in ("DomainValidationError", "ValidationError"):
                    continue
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        found.append(f"{rel}:{node.lineno} {kw.value.value}")
    return found


def test_every_raised_code_comes_from_a_catalog():
    assert literal_codes() == []


def test_each_catalog_holds_unique_snake_case_codes():
    for rel in CATALOGS:
        text = (ROOT / rel).read_text()
        codes = re.findall(r'^    \w+ = "([^"]+)"$', text, re.M)
        assert codes, rel
        assert len(codes) == len(set(codes)), rel
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in codes), rel


def test_a_catalog_member_is_its_code_string_in_errors_and_json():
    err = DomainValidationError(
        field="amount", code=BillingError.EXCEEDS_OPEN_BALANCE, message="Too much."
    )
    assert isinstance(err.code, ErrorCode)
    assert err.code == "exceeds_open_balance"
    assert err.as_dict()["code"] == "exceeds_open_balance"
    assert str(OrderError.END_BEFORE_START) == "end_before_start"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def refusal_codes(schema, path: str, method: str) -> list[str]:
    response = schema["paths"][path][method]["responses"]["400"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    code_ref = component["properties"]["code"]["$ref"]
    return schema["components"]["schemas"][code_ref.rsplit("/", 1)[1]]["x-error-codes"]


def test_the_schema_lists_billing_codes_under_a_payment_endpoints_400(schema):
    path = next(p for p in schema["paths"] if re.fullmatch(r"/api/v1/payments/\{\w+\}/apply/", p))
    codes = refusal_codes(schema, path, "post")
    assert "exceeds_open_balance" in codes
    assert "end_before_start" not in codes  # a contract code, not a payment's


def test_the_schema_lists_contract_codes_under_the_contract_create_400(schema):
    codes = refusal_codes(schema, "/api/v1/contracts/", "post")
    assert {"end_before_start", "unknown_currency", "required"} <= set(codes)


def test_every_operation_that_takes_input_documents_its_400(schema):
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            takes_input = method != "get" or any(p.get("in") == "query" for p in params)
            if takes_input and "400" not in operation["responses"]:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
