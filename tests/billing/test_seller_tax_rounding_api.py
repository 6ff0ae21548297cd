"""A seller's tax rounding rule over the REST API and in the admin: read, changed by Finance
(audited), an unknown rule refused with the catalog's code and nothing changed."""

import pytest
from django.urls import reverse

from billing.models import LegalEntity
from ordermgmt import roles
from tests.factories import LegalEntityFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/legal-entities/"


def finance_client(client):
    user = UserFactory(role=roles.FINANCE)
    client.force_login(user)
    return user


def test_a_seller_created_over_the_api_rounds_per_rate_unless_told_per_line(client):
    finance_client(client)
    base = {"address": "1 King St", "remit_to": "Bank", "credit_note_prefix": "C-"}
    default = client.post(URL, {**base, "name": "A", "invoice_prefix": "A-"}, "application/json")
    per_line = client.post(
        URL,
        {**base, "name": "B", "invoice_prefix": "B-", "credit_note_prefix": "D-"}
        | {"tax_rounding": "line"},
        "application/json",
    )
    assert (default.status_code, per_line.status_code) == (201, 201), per_line.content
    assert (default.json()["tax_rounding"], per_line.json()["tax_rounding"]) == ("total", "line")
    assert dict(LegalEntity.objects.values_list("name", "tax_rounding")) == {
        "A": "total",
        "B": "line",
    }


def test_finance_sets_a_seller_to_per_line_and_the_history_names_them(client):
    entity = LegalEntityFactory()
    user = finance_client(client)
    answer = client.patch(f"{URL}{entity.pk}/", {"tax_rounding": "line"}, "application/json")
    assert answer.status_code == 200, answer.content
    entity.refresh_from_db()
    assert entity.tax_rounding == "line"
    record = entity.history.latest()
    assert (record.history_user, record.tax_rounding) == (user, "line")
    (row,) = client.get(f"{URL}?is_default=true").json()["results"]
    assert row["tax_rounding"] == "line"


def test_an_unknown_rule_is_refused_with_the_catalog_code_and_nothing_changes(client):
    entity = LegalEntityFactory()
    finance_client(client)
    answer = client.patch(f"{URL}{entity.pk}/", {"tax_rounding": "nearest"}, "application/json")
    assert answer.status_code == 400
    assert (answer.json()["field"], answer.json()["code"]) == (
        "tax_rounding",
        "unknown_tax_rounding",
    )
    assert "'line'" in answer.json()["message"] and "'total'" in answer.json()["message"]
    entity.refresh_from_db()
    assert entity.tax_rounding == "total"
    assert entity.history.count() == 1  # only its creation


def test_the_admin_lists_and_edits_the_sellers_rule(client):
    entity = LegalEntityFactory(tax_rounding="line")
    client.force_login(UserFactory(role=roles.ADMIN, is_superuser=True))
    listing = client.get(reverse("admin:billing_legalentity_changelist"))
    assert listing.status_code == 200
    assert "Per line: each line&#x27;s tax rounded" in listing.content.decode()
    change = client.get(reverse("admin:billing_legalentity_change", args=[entity.pk]))
    assert 'name="tax_rounding"' in change.content.decode()
