"""Products and their prices per currency over the REST API: written through the services,
refused as the admin refuses (field, code, nothing saved), audited, and Finance's only."""

from decimal import Decimal

import pytest

from ordermgmt import roles
from ordermgmt.models import Product, ProductPrice
from tests.factories import ProductFactory, ProductPriceFactory, UserFactory

pytestmark = pytest.mark.django_db


def as_role(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def test_finance_creates_a_product_and_the_history_names_them(client):
    user = as_role(client, roles.FINANCE)
    response = post(
        client, "/api/v1/products/", {"sku": "SEAT", "name": "Seat", "revenue_type": "usage"}
    )
    assert response.status_code == 201, response.content
    product = Product.objects.get(sku="SEAT")
    assert (response.json()["id"], response.json()["prices"]) == (product.pk, [])
    record = product.history.latest()
    assert (record.history_user, record.history_change_reason) == (user, "product.created")


def test_finance_renames_and_retires_a_product(client):
    product = ProductFactory(name="Old")
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/products/{product.pk}/", {"name": "New", "active": False})
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert (product.name, product.active) == ("New", False)


def test_products_list_filters_and_shows_prices_per_currency(client):
    kept = ProductPriceFactory(currency="EUR", product__revenue_type="usage")
    ProductFactory(revenue_type="subscription")
    as_role(client, roles.DEAL_DESK)
    body = client.get("/api/v1/products/?revenue_type=usage").json()
    assert [row["id"] for row in body["results"]] == [kept.product.pk]
    assert body["results"][0]["prices"][0]["currency"] == "EUR"


def test_a_duplicate_sku_is_refused_with_its_field_and_nothing_saved(client):
    ProductFactory(sku="SEAT")
    as_role(client, roles.FINANCE)
    response = post(
        client, "/api/v1/products/", {"sku": "SEAT", "name": "Again", "revenue_type": "usage"}
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("sku", "unique")
    assert Product.objects.filter(sku="SEAT").count() == 1


def test_an_order_specialist_may_not_create_a_product(client):
    as_role(client, roles.ORDER_SPECIALIST)
    response = post(client, "/api/v1/products/", {"sku": "X", "name": "X", "revenue_type": "usage"})
    assert response.status_code == 403
    assert not Product.objects.exists()


def test_finance_adds_a_price_in_a_currency_with_list_floor_and_ssp(client):
    product = ProductFactory()
    user = as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/product-prices/",
        {
            "product": product.pk,
            "currency": "eur",
            "standalone_selling_price": "1000",
            "list_price": "1200",
            "floor_price": "900",
        },
    )
    assert response.status_code == 201, response.content
    price = ProductPrice.objects.get(product=product)
    assert (price.currency, price.list_price, price.floor_price) == (
        "EUR",
        Decimal("1200"),
        Decimal("900"),
    )
    assert price.history.latest().history_user == user


def test_finance_changes_a_price_and_the_list_filters_by_currency(client):
    price = ProductPriceFactory(currency="GBP")
    ProductPriceFactory(currency="USD")
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/product-prices/{price.pk}/", {"list_price": "1500"})
    assert response.status_code == 200, response.content
    price.refresh_from_db()
    assert price.list_price == Decimal("1500")
    body = client.get("/api/v1/product-prices/?currency=gbp").json()
    assert [row["id"] for row in body["results"]] == [price.pk]


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"floor_price": "1300"}, "floor_price", "above_list_price"),
        ({"standalone_selling_price": "-1"}, "standalone_selling_price", "negative"),
    ],
)
def test_a_bad_price_change_is_refused_and_nothing_changes(client, data, field, code):
    price = ProductPriceFactory(list_price=Decimal("1200"), floor_price=None)
    as_role(client, roles.FINANCE)
    response = patch(client, f"/api/v1/product-prices/{price.pk}/", data)
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (field, code)
    price.refresh_from_db()
    assert (price.floor_price, price.standalone_selling_price) == (None, Decimal("1200"))


def test_a_second_price_in_the_same_currency_is_refused(client):
    price = ProductPriceFactory(currency="USD")
    as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/product-prices/",
        {"product": price.product.pk, "currency": "USD", "standalone_selling_price": "5"},
    )
    assert (response.status_code, response.json()["field"], response.json()["code"]) == (
        400,
        "currency",
        "duplicate",
    )
    assert ProductPrice.objects.count() == 1


def test_an_unknown_currency_is_refused_as_the_admin_refuses_it(client):
    product = ProductFactory()
    as_role(client, roles.FINANCE)
    response = post(
        client,
        "/api/v1/product-prices/",
        {"product": product.pk, "currency": "XYZ", "standalone_selling_price": "5"},
    )
    assert (response.status_code, response.json()["field"], response.json()["code"]) == (
        400,
        "currency",
        "unknown_currency",
    )
    assert not ProductPrice.objects.exists()


def test_deal_desk_reads_prices_but_may_not_change_them(client):
    price = ProductPriceFactory()
    as_role(client, roles.DEAL_DESK)
    assert client.get("/api/v1/product-prices/").status_code == 200
    response = patch(client, f"/api/v1/product-prices/{price.pk}/", {"list_price": "1"})
    assert response.status_code == 403
    price.refresh_from_db()
    assert price.list_price == Decimal("1200")
