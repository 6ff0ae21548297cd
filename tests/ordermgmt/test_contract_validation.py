"""Bad contract input gets the field and the reason, and nothing is saved."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import DomainValidationError
from ordermgmt import services
from ordermgmt.models import Contract, ContractLine, RampStep
from tests.factories import (
    AccountFactory,
    ProductFactory,
    contract_terms,
    line_input,
    make_contract,
)

pytestmark = pytest.mark.django_db


def create(**kwargs):
    lines = kwargs.pop("lines", None)
    return services.create_contract(
        account=AccountFactory(),
        terms=contract_terms(**kwargs),
        lines=lines if lines is not None else [line_input()],
        actor=None,
    )


@pytest.mark.parametrize(
    ("terms", "lines", "field", "code"),
    [
        (
            {"start_date": date(2026, 6, 1), "end_date": date(2026, 5, 31)},
            None,
            "end_date",
            "end_before_start",
        ),
        ({"currency": "XYZ"}, None, "currency", "unknown_currency"),
        ({"payment_terms": "NET-30"}, None, "payment_terms", "invalid_payment_terms"),
        ({}, [{"quantity": Decimal("-1")}], "lines[0].quantity", "negative_quantity"),
        (
            {},
            [{"discount_percent": Decimal("100.01")}],
            "lines[0].discount_percent",
            "discount_out_of_range",
        ),
        ({}, [{}, {"currency": "EUR"}], "lines[1].currency", "currency_mismatch"),
        ({}, [{"unit_price": Decimal("-5")}], "lines[0].unit_price", "negative_unit_price"),
    ],
)
def test_the_service_refuses_bad_input_and_saves_nothing(terms, lines, field, code):
    line_inputs = None if lines is None else [line_input(**overrides) for overrides in lines]
    with pytest.raises(DomainValidationError) as err:
        create(lines=line_inputs, **terms)
    assert (err.value.field, err.value.code) == (field, code)
    assert Contract.objects.count() == 0
    assert ContractLine.objects.count() == 0


def test_ramp_steps_outside_the_term_or_overlapping_are_refused():
    product = ProductFactory()
    outside = line_input(
        product,
        ramp_steps=[
            services.RampStepInput(date(2025, 12, 1), date(2026, 5, 31), Decimal(5), Decimal(100))
        ],
    )
    with pytest.raises(DomainValidationError) as err:
        create(lines=[outside])
    assert err.value.code == "outside_contract_term"
    overlapping = line_input(
        product,
        ramp_steps=[
            services.RampStepInput(date(2026, 1, 1), date(2026, 6, 30), Decimal(5), Decimal(100)),
            services.RampStepInput(date(2026, 6, 1), date(2026, 12, 31), Decimal(9), Decimal(100)),
        ],
    )
    with pytest.raises(DomainValidationError) as err:
        create(lines=[overlapping])
    assert (err.value.field, err.value.code) == ("lines[0].ramp_steps", "overlapping_steps")
    assert RampStep.objects.count() == 0 and Contract.objects.count() == 0


def test_an_update_that_breaks_a_rule_leaves_the_contract_unchanged(specialist):
    contract = make_contract(actor=specialist)
    with pytest.raises(DomainValidationError) as err:
        services.update_contract(
            contract=contract,
            terms=contract_terms(currency="EUR"),  # the existing USD line no longer fits
            lines=None,
            actor=specialist,
        )
    assert (err.value.field, err.value.code) == ("lines[0].currency", "currency_mismatch")
    assert Contract.objects.get(pk=contract.pk).currency == "USD"


def admin_contract_post(account, product, **overrides):
    data = {
        "name": "Admin-made deal",
        "account": account.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "USD",
        "payment_terms": "NET30",
        "billing_frequency": "annual",
        "billing_timing": "advance",
        "day_count_convention": "actual_actual",
        "kind": "new",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": product.pk,
        "lines-0-description": "Seats",
        "lines-0-quantity": "10",
        "lines-0-unit_price": "1200",
        "lines-0-discount_percent": "0",
        "lines-0-currency": "USD",
    }
    data.update(overrides)
    return data


def test_the_admin_creates_a_valid_contract(client, specialist):
    client.force_login(specialist)
    response = client.post(
        reverse("admin:ordermgmt_contract_add"),
        admin_contract_post(AccountFactory(), ProductFactory()),
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert Contract.objects.get().lines.get().quantity == Decimal("10")


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"end_date": "2025-12-31"}, "end_date", "before the start date"),
        ({"currency": "XYZ"}, "currency", "ISO 4217"),
        ({"lines-0-quantity": "-3"}, "quantity", "negative"),
        ({"lines-0-discount_percent": "120"}, "discount_percent", "outside 0 to 100"),
        ({"lines-0-currency": "EUR"}, "currency", "contract is in USD"),
    ],
)
def test_the_admin_shows_the_field_and_reason_and_saves_nothing(
    client, specialist, overrides, field, fragment
):
    client.force_login(specialist)
    response = client.post(
        reverse("admin:ordermgmt_contract_add"),
        admin_contract_post(AccountFactory(), ProductFactory(), **overrides),
    )
    assert response.status_code == 200
    adminform = response.context["adminform"].form
    inline_errors = [
        f.errors for fs in response.context["inline_admin_formsets"] for f in fs.formset.forms
    ]
    field_errors = adminform.errors.get(field, []) + [
        msg for errs in inline_errors for msg in errs.get(field, [])
    ]
    assert any(fragment in msg for msg in field_errors), (adminform.errors, inline_errors)
    assert Contract.objects.count() == 0
    assert ContractLine.objects.count() == 0


def test_the_api_returns_field_and_code_for_bad_input(client, specialist):
    client.force_login(specialist)
    payload = {
        "name": "API deal",
        "account": AccountFactory().pk,
        "start_date": "2026-03-01",
        "end_date": "2026-02-01",
        "currency": "USD",
        "lines": [{"product": ProductFactory().pk, "quantity": "1", "unit_price": "10"}],
    }
    response = client.post("/api/v1/contracts/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "end_date"
    assert response.json()["code"] == "end_before_start"
    assert Contract.objects.count() == 0
