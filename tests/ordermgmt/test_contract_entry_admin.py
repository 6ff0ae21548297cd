"""Contract entry in the admin: choices, inline ramp steps, the billing plan as rows,
money shown as money and each error once on its field."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from ordermgmt.models import Contract, ContractLine, RampStep
from tests.factories import AccountFactory, ProductFactory, ProductPriceFactory, make_contract
from tests.ordermgmt.test_contract_validation import admin_contract_post

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:ordermgmt_contract_add")


def error_texts(response) -> list[str]:
    html = response.content.decode()
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    return [text for block in lists for text in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_currency_and_payment_terms_are_choices_from_the_money_library_and_terms(
    client, specialist
):
    client.force_login(specialist)
    form = client.get(ADD_URL).context["adminform"].form
    currencies = dict(form.fields["currency"].choices)
    assert currencies["JPY"] == "JPY — Japanese Yen"
    assert "XXX" not in currencies  # not money one can invoice in
    assert dict(form.fields["payment_terms"].choices)["NET30EOM"] == "Net 30 EOM"
    html = client.get(ADD_URL).content.decode()
    assert '<select name="currency"' in html and '<select name="payment_terms"' in html


def test_a_contract_with_unusual_terms_keeps_them_as_a_choice(client, specialist):
    contract = make_contract(actor=specialist, payment_terms="NET75")
    client.force_login(specialist)
    form = (
        client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk]))
        .context["adminform"]
        .form
    )
    assert ("NET75", "Net 75") in form.fields["payment_terms"].choices


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"currency": "XYZ"}, "ISO 4217"),
        ({"payment_terms": "NETX"}, "payment terms"),
        ({"end_date": "2025-12-31"}, "before the start date"),
    ],
)
def test_each_error_is_shown_once_on_its_field(client, specialist, overrides, fragment):
    client.force_login(specialist)
    response = client.post(
        ADD_URL, admin_contract_post(AccountFactory(), ProductFactory(), **overrides)
    )
    errors = error_texts(response)
    assert len(errors) == 1, errors
    assert fragment in errors[0]
    field = next(iter(overrides))
    assert len(response.context["adminform"].form.errors[field]) == 1
    assert Contract.objects.count() == 0


def ramp_rows(**columns):
    return {f"lines-0-ramp_steps__{key}": values for key, values in columns.items()}


def test_ramp_steps_are_entered_inline_in_the_contract_form(client, specialist):
    client.force_login(specialist)
    data = admin_contract_post(AccountFactory(), ProductFactory())
    data.update(
        ramp_rows(
            start_date=["2026-01-01", "2026-07-01", ""],
            end_date=["2026-06-30", "2026-12-31", ""],
            quantity=["10", "25", ""],
            unit_price=["1,200.00", "1,100.00", ""],
        )
    )
    response = client.post(ADD_URL, data)
    assert response.status_code == 302, error_texts(response)
    steps = list(RampStep.objects.order_by("start_date"))
    assert [(s.start_date, s.quantity, s.unit_price) for s in steps] == [
        (date(2026, 1, 1), Decimal("10"), Decimal("1200")),
        (date(2026, 7, 1), Decimal("25"), Decimal("1100")),
    ]
    assert steps[0].history.first().history_user == specialist


def test_ramp_steps_can_be_changed_and_removed_on_the_contract_page(client, specialist):
    client.force_login(specialist)
    data = admin_contract_post(AccountFactory(), ProductFactory())
    data.update(
        ramp_rows(
            start_date=["2026-01-01"], end_date=["2026-06-30"], quantity=["5"], unit_price=["10"]
        )
    )
    client.post(ADD_URL, data)
    contract = Contract.objects.get()
    line = contract.lines.get()
    page = client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk]))
    assert 'value="2026-06-30"' in page.content.decode()
    data.update(
        {"lines-INITIAL_FORMS": "1", "lines-0-id": line.pk, "lines-0-contract": contract.pk},
        **ramp_rows(start_date=[""], end_date=[""], quantity=[""], unit_price=[""]),
    )
    response = client.post(reverse("admin:ordermgmt_contract_change", args=[contract.pk]), data)
    assert response.status_code == 302, error_texts(response)
    assert RampStep.objects.count() == 0


@pytest.mark.parametrize(
    ("columns", "fragment"),
    [
        (
            {
                "start_date": ["2025-12-01"],
                "end_date": ["2026-03-31"],
                "quantity": ["5"],
                "unit_price": ["10"],
            },
            "outside the contract term",
        ),
        (
            {
                "start_date": ["2026-01-01", "2026-03-01"],
                "end_date": ["2026-06-30", "2026-12-31"],
                "quantity": ["5", "6"],
                "unit_price": ["10", "10"],
            },
            "overlap",
        ),
        (
            {
                "start_date": ["2026-01-01"],
                "end_date": ["2026-06-30"],
                "quantity": ["5"],
                "unit_price": ["1e3"],
            },
            "Ramp step 1 unit price",
        ),
    ],
)
def test_a_bad_ramp_step_is_refused_on_the_ramp_steps_field_and_nothing_is_saved(
    client, specialist, columns, fragment
):
    client.force_login(specialist)
    data = admin_contract_post(AccountFactory(), ProductFactory())
    data.update(ramp_rows(**columns))
    response = client.post(ADD_URL, data)
    assert response.status_code == 200
    line_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert len(line_form.errors["ramp_steps"]) == 1
    assert fragment in line_form.errors["ramp_steps"][0]
    assert (Contract.objects.count(), ContractLine.objects.count(), RampStep.objects.count()) == (
        0,
        0,
        0,
    )


def plan_rows(dates, percents):
    return {"custom_billing_plan__billing_date": dates, "custom_billing_plan__percent": percents}


def test_a_custom_billing_plan_is_entered_as_rows_and_stored_as_before(client, specialist):
    client.force_login(specialist)
    data = admin_contract_post(AccountFactory(), ProductFactory(), billing_frequency="custom")
    data.update(plan_rows(["2026-01-01", "2026-07-01", ""], ["40", "60", ""]))
    response = client.post(ADD_URL, data)
    assert response.status_code == 302, error_texts(response)
    assert Contract.objects.get().custom_billing_plan == [
        {"billing_date": "2026-01-01", "percent": "40"},
        {"billing_date": "2026-07-01", "percent": "60"},
    ]
    page = client.get(reverse("admin:ordermgmt_contract_change", args=[Contract.objects.get().pk]))
    html = page.content.decode()
    assert '<td class="running-total">40%</td>' in html
    assert '<td class="running-total">100%</td>' in html
    assert '<td class="plan-total" data-complete="yes">100%</td>' in html
    assert "billing_date&quot;" not in html  # no raw JSON


def test_a_billing_plan_short_of_100_percent_is_refused_once_and_shows_its_total(
    client, specialist
):
    client.force_login(specialist)
    data = admin_contract_post(AccountFactory(), ProductFactory(), billing_frequency="custom")
    data.update(plan_rows(["2026-01-01", "2026-07-01"], ["40", "50"]))
    response = client.post(ADD_URL, data)
    errors = response.context["adminform"].form.errors["custom_billing_plan"]
    assert list(errors) == ["Installments add up to 90%, not 100%."]
    assert '<td class="plan-total" data-complete="no">90%</td>' in response.content.decode()
    assert Contract.objects.count() == 0


def test_amounts_show_as_money_in_the_contract_form_and_list(client, specialist):
    contract = make_contract(actor=specialist)  # 10 seats at 1,200 a year
    client.force_login(specialist)
    html = client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk])).content
    html = html.decode()
    assert 'value="1,200.00"' in html and 'value="10"' in html
    assert "1200.000000" not in html and "10.0000" not in html
    listing = client.get(reverse("admin:ordermgmt_contract_changelist")).content.decode()
    assert "$12,000.00" in listing


def test_the_product_picker_gets_each_products_list_price_per_currency(client, specialist):
    product = ProductFactory()
    ProductPriceFactory(product=product, currency="USD", list_price=Decimal("36000"))
    ProductPriceFactory(product=product, currency="JPY", list_price=Decimal("4000000"))
    client.force_login(specialist)
    response = client.get(ADD_URL)
    prices = json.loads(
        re.search(
            r'<script id="product-list-prices" type="application/json">(.*?)</script>',
            response.content.decode(),
        ).group(1)
    )
    assert prices[str(product.pk)] == {"USD": "36,000.00", "JPY": "4,000,000"}
    assert "ledgerline/contract-entry." in response.content.decode()


def test_a_contract_no_longer_editable_shows_its_lines_ramp_and_plan_as_money(client, specialist):
    from ordermgmt import services
    from tests.factories import line_input

    step = services.RampStepInput(date(2026, 1, 1), date(2026, 6, 30), Decimal(5), Decimal(900))
    contract = make_contract(actor=specialist, lines=[line_input(ramp_steps=[step])])
    services.cancel_contract(contract=contract, actor=specialist, comment="lost")
    client.force_login(specialist)
    html = client.get(reverse("admin:ordermgmt_contract_change", args=[contract.pk])).content
    html = html.decode()
    assert "$1,200.00" in html
    assert "01 Jan 2026 – 30 Jun 2026: 5 @ $900.00" in html
    assert "1200.000000" not in html
