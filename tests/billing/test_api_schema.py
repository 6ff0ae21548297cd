"""The billing API's OpenAPI schema, and the invoice list's query count."""

from datetime import date

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.routers import DefaultRouter

from billing.models import Invoice
from billing.services import issue_invoice, void_invoice
from config import urls
from tests.billing.api_helpers import AUD, as_role, bill
from tests.factories import (
    active_contract,
)

pytestmark = pytest.mark.django_db


# --- Schema ---------------------------------------------------------------------------------


def billing_schema() -> dict:
    """The schema of the billing endpoints alone, as config.urls registers them."""
    router = DefaultRouter()
    for prefix, viewset, basename in urls.router.registry:
        if viewset.__module__.startswith("billing.api."):
            router.register(prefix, viewset, basename=basename)
    generator = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))])
    return generator.get_schema(request=None, public=True)


def test_the_billing_api_schema_has_no_warnings_or_errors():
    GENERATOR_STATS.reset()
    schema = billing_schema()
    assert dict(GENERATOR_STATS._error_cache) == {}
    assert dict(GENERATOR_STATS._warn_cache) == {}
    paths = schema["paths"]
    for endpoint in [
        "/api/v1/schedule-lines/",
        "/api/v1/invoices/{id}/",
        "/api/v1/invoices/{id}/issue/",
        "/api/v1/invoices/{id}/void/",
        "/api/v1/invoices/{id}/credit-notes/",
        "/api/v1/invoices/{id}/correct/",
        "/api/v1/credit-notes/{id}/",
        "/api/v1/credit-notes/{id}/apply/",
        "/api/v1/credit-notes/{id}/refund/",
        "/api/v1/credit-applications/{id}/reverse/",
        "/api/v1/billing-runs/",
        "/api/v1/usage-records/",
    ]:
        assert endpoint in paths, endpoint
    credit = paths["/api/v1/invoices/{id}/credit-notes/"]["post"]
    # Created, or refused with a code from the billing catalog; never a bare 200.
    assert set(credit["responses"]) == {"201", "400"}
    assert "InvoiceCreditNoteInputRequest" in schema["components"]["schemas"]


def test_the_whole_schema_still_generates_without_errors(tmp_path):
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert dict(GENERATOR_STATS._error_cache) == {}
    billing_warnings = [w for w in GENERATOR_STATS._warn_cache if "billing/" in w]
    assert billing_warnings == []
    assert "/api/v1/invoices/" in schema["paths"]


def test_the_schema_endpoint_serves(client):
    as_role(client, AUD)
    assert client.get("/api/v1/schema/").status_code == 200


def test_the_invoice_list_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(4):
        active_contract(billing_frequency="monthly")
    bill(date(2026, 6, 1))
    for invoice in Invoice.objects.all()[:2]:
        void_invoice(invoice=issue_invoice(invoice=invoice, actor=None), actor=None, reason="r")
    as_role(client, AUD)
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/invoices/").json()
    assert body["count"] == 4 and len(body["results"][0]["lines"]) == 6
