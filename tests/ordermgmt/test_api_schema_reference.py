"""The OpenAPI schema documents every reference-data and revenue-operation endpoint, with
its own input and output (the whole schema's zero-warning check is test_api_schema.py)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

WRITABLE = [
    "products",
    "product-prices",
    "revenue/ssp-ranges",
    "tax-rates",
    "legal-entities",
    "fx-rates",
]


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("name", WRITABLE)
def test_each_reference_list_is_documented_with_create_and_change(schema, name):
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths[f"/api/v1/{name}/"])
    assert {"get", "patch"} <= set(paths[f"/api/v1/{name}/{{id}}/"])
    assert "put" not in paths[f"/api/v1/{name}/{{id}}/"]
    created = paths[f"/api/v1/{name}/"]["post"]
    assert "201" in created["responses"] and "requestBody" in created


def test_number_series_are_documented_read_only(schema):
    assert set(schema["paths"]["/api/v1/number-series/"]) == {"get"}


def test_the_revenue_operations_are_documented(schema):
    paths = schema["paths"]
    base = "/api/v1/revenue/contracts/{contract_id}"
    assert "201" in paths[f"{base}/reestimate/"]["post"]["responses"]
    assert "200" in paths[f"{base}/rebuild/"]["post"]["responses"]
    listed = paths[f"{base}/exceptions/"]["get"]
    assert "open" in {p["name"] for p in listed["parameters"]}
