"""Billing and revenue reference data over the REST API: tax rates, legal entities with
their number-series prefixes, number series (read-only), FX rates and SSP ranges. Each is
created, changed and listed by Finance, refused with its field (nothing saved), audited,
and closed to the roles that can't change it in the admin."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import FxRate, LegalEntity, NumberSeries, TaxRate
from billing.revenue.models import SspRange
from ordermgmt import roles
from tests.factories import LegalEntityFactory, ProductFactory, TaxRateFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def refusal(response):
    assert response.status_code == 400, response.content
    return response.json()["field"], response.json()["code"]


# --- Tax rates ---------------------------------------------------------------------------------


def test_finance_creates_a_tax_rate_and_the_history_names_them(client):
    user = as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/tax-rates/",
        {"country": "de", "name": "USt", "percent": "19", "effective_from": "2026-01-01"},
    )
    assert response.status_code == 201, response.content
    rate = TaxRate.objects.get()
    assert (rate.country, rate.percent) == ("DE", D("19"))
    record = rate.history.latest()
    assert (record.history_user, record.history_change_reason) == (user, "tax_rate.created")


def test_finance_ends_a_tax_rate_and_the_list_shows_rates_in_force_on_a_date(client):
    old = TaxRateFactory(country="GB", percent=D("17.5"), effective_from=date(2020, 1, 1))
    new = TaxRateFactory(country="GB", percent=D("20"), effective_from=date(2026, 1, 1))
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/tax-rates/{old.pk}/", {"effective_to": "2025-12-31"})
    assert response.status_code == 200, response.content
    old.refresh_from_db()
    assert old.effective_to == date(2025, 12, 31)
    body = client.get("/api/v1/tax-rates/?country=gb&effective_on=2026-03-01").json()
    assert [row["id"] for row in body["results"]] == [new.pk]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"percent": "101"}, "percent", "out_of_range"),
        ({"effective_to": "2019-12-31"}, "effective_to", "before_effective_from"),
        ({"country": "1A"}, "country", "invalid"),
    ],
)
def test_a_bad_tax_rate_change_is_refused_and_nothing_changes(client, data, field, code):
    rate = TaxRateFactory(percent=D("19"), effective_from=date(2020, 1, 1))
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/tax-rates/{rate.pk}/", data)
    assert refusal(response) == (field, code)
    rate.refresh_from_db()
    assert (rate.percent, rate.effective_to) == (D("19"), None)


def test_an_order_specialist_reads_tax_rates_but_may_not_create_one(client):
    as_role(client, roles.ORDER_SPECIALIST)
    assert client.get("/api/v1/tax-rates/").status_code == 200
    response = post(
        client,
        "/api/v1/tax-rates/",
        {"country": "DE", "name": "USt", "percent": "19", "effective_from": "2026-01-01"},
    )
    assert response.status_code == 403
    assert not TaxRate.objects.exists()


# --- Legal entities and number series ----------------------------------------------------------


def entity_input(**overrides):
    return {
        "name": "Ledgerline UK Ltd",
        "address": "1 King St, London",
        "remit_to": "Bank, IBAN GB00",
        "invoice_prefix": "UK-INV-",
        "credit_note_prefix": "UK-CN-",
        **overrides,
    }


def test_finance_creates_a_seller_with_its_number_series_prefixes(client):
    user = as_role(client, roles.FINANCE)
    response = post(client, "/api/v1/legal-entities/", entity_input())
    assert response.status_code == 201, response.content
    entity = LegalEntity.objects.get()
    assert (entity.invoice_prefix, entity.credit_note_prefix, entity.is_default) == (
        "UK-INV-",
        "UK-CN-",
        False,
    )
    assert entity.history.latest().history_user == user


def test_finance_changes_a_prefix_and_the_seller_lists_its_series(client):
    entity = LegalEntityFactory()
    NumberSeries.objects.create(
        legal_entity=entity, document_type="invoice", year=2026, prefix="INV-", next_number=42
    )
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/legal-entities/{entity.pk}/", {"invoice_prefix": "DE-"})
    assert response.status_code == 200, response.content
    entity.refresh_from_db()
    assert entity.invoice_prefix == "DE-"
    body = client.get("/api/v1/legal-entities/?is_default=true").json()
    (row,) = body["results"]
    assert [(s["year"], s["prefix"], s["next_number"]) for s in row["number_series"]] == [
        (2026, "INV-", 42)
    ]
    series = client.get(f"/api/v1/number-series/?legal_entity={entity.pk}").json()["results"]
    assert [s["next_number"] for s in series] == [42]


def test_a_second_default_seller_is_refused_and_nothing_saved(client):
    LegalEntityFactory(is_default=True)
    as_role(client, roles.FINANCE)
    response = post(client, "/api/v1/legal-entities/", entity_input(is_default=True))
    assert refusal(response) == ("is_default", "duplicate_default")
    assert LegalEntity.objects.count() == 1


def test_credit_notes_sharing_the_invoice_prefix_are_refused(client):
    entity = LegalEntityFactory()
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/legal-entities/{entity.pk}/", {"credit_note_prefix": "INV-"})
    assert refusal(response) == ("credit_note_prefix", "same_as_invoice_prefix")
    entity.refresh_from_db()
    assert entity.credit_note_prefix == "CN-"


def test_number_series_cannot_be_written_over_the_api(client):
    as_role(client, roles.ADMIN)
    response = post(client, "/api/v1/number-series/", {"year": 2026})
    assert response.status_code == 405


def test_an_order_specialist_may_not_change_a_seller(client):
    entity = LegalEntityFactory()
    as_role(client, roles.ORDER_SPECIALIST)
    response = patch(client, f"/api/v1/legal-entities/{entity.pk}/", {"name": "Hijacked"})
    assert response.status_code == 403
    entity.refresh_from_db()
    assert entity.name == "Ledgerline Demo GmbH"


# --- FX rates ----------------------------------------------------------------------------------


def test_finance_records_corrects_and_lists_fx_rates_by_date_range(client):
    user = as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/fx-rates/",
        {"currency": "eur", "reporting_currency": "usd", "rate_date": "2026-03-02", "rate": "1.08"},
    )
    assert response.status_code == 201, response.content
    rate = FxRate.objects.get()
    assert (rate.currency, rate.reporting_currency, rate.rate) == ("EUR", "USD", D("1.08"))
    response = patch(client, f"/api/v1/fx-rates/{rate.pk}/", {"rate": "1.0815"})
    assert response.status_code == 200, response.content
    rate.refresh_from_db()
    assert rate.rate == D("1.0815")
    record = rate.history.latest()
    assert (record.history_user, record.history_change_reason) == (user, "fx_rate.changed")
    FxRate.objects.create(currency="EUR", rate_date=date(2026, 1, 5), rate=D("1.10"))
    body = client.get("/api/v1/fx-rates/?currency=EUR&rate_date_after=2026-03-01").json()
    assert [row["id"] for row in body["results"]] == [rate.pk]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"rate": "0"}, "rate", "not_positive"),
        ({"currency": "USD"}, "reporting_currency", "same_currency"),
        ({"currency": "ABC"}, "currency", "unknown_currency"),
        ({"rate_date": "2026-03-02"}, "rate_date", "duplicate"),
    ],
)
def test_a_bad_fx_rate_is_refused_with_its_field_and_nothing_saved(client, data, field, code):
    FxRate.objects.create(currency="EUR", rate_date=date(2026, 3, 2), rate=D("1.08"))
    as_role(client, roles.FINANCE)
    given = {"currency": "EUR", "rate_date": "2026-03-03", "rate": "1.09", **data}
    assert refusal(post(client, "/api/v1/fx-rates/", given)) == (field, code)
    assert FxRate.objects.count() == 1


def test_deal_desk_may_not_record_an_fx_rate(client):
    as_role(client, roles.DEAL_DESK)
    given = {"currency": "EUR", "rate_date": "2026-03-03", "rate": "1.09"}
    assert post(client, "/api/v1/fx-rates/", given).status_code == 403
    assert not FxRate.objects.exists()


# --- SSP ranges --------------------------------------------------------------------------------


def test_finance_sets_and_narrows_an_ssp_range_and_the_product_shows_it(client):
    product = ProductFactory()
    user = as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/revenue/ssp-ranges/",
        {"product": product.pk, "currency": "USD", "minimum": "800", "maximum": "1400"},
    )
    assert response.status_code == 201, response.content
    ssp_range = SspRange.objects.get()
    response = patch(client, f"/api/v1/revenue/ssp-ranges/{ssp_range.pk}/", {"maximum": "1300"})
    assert response.status_code == 200, response.content
    ssp_range.refresh_from_db()
    assert (ssp_range.minimum, ssp_range.maximum) == (D("800"), D("1300"))
    assert ssp_range.history.latest().history_user == user
    shown = client.get(f"/api/v1/products/{product.pk}/").json()["ssp_ranges"]
    assert [(r["minimum"], r["maximum"]) for r in shown] == [("800.000000", "1300.000000")]
    listed = client.get(f"/api/v1/revenue/ssp-ranges/?product={product.pk}").json()["results"]
    assert [r["id"] for r in listed] == [ssp_range.pk]


def test_an_ssp_range_with_its_maximum_below_its_minimum_is_refused(client):
    product = ProductFactory()
    as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/revenue/ssp-ranges/",
        {"product": product.pk, "currency": "USD", "minimum": "800", "maximum": "700"},
    )
    assert refusal(response) == ("maximum", "below_minimum")
    assert not SspRange.objects.exists()


def test_deal_desk_reads_ssp_ranges_but_may_not_set_one(client):
    product = ProductFactory()
    as_role(client, roles.DEAL_DESK)
    assert client.get("/api/v1/revenue/ssp-ranges/").status_code == 200
    response = post(
        client,
        "/api/v1/revenue/ssp-ranges/",
        {"product": product.pk, "currency": "USD", "minimum": "1", "maximum": "2"},
    )
    assert response.status_code == 403
    assert not SspRange.objects.exists()
