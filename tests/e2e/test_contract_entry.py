"""In real headless Chromium: the order specialist enters a ramped contract in the admin,
choosing the currency, picking the product (which fills its list price) and typing the
ramp steps inside the line; the contract is saved with its steps."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from ordermgmt import roles
from ordermgmt.models import Contract
from tests.e2e.conftest import log_in
from tests.factories import (
    PASSWORD,
    AccountFactory,
    ProductFactory,
    ProductPriceFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def save_artifact(page, name: str) -> Path:
    """Screenshots are kept as artifacts of the run: var/artifacts/e2e (ignored by git),
    or the folder in E2E_ARTIFACTS."""
    folder = Path(os.environ.get("E2E_ARTIFACTS") or settings.BASE_DIR / "var/artifacts/e2e")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_specialist_enters_a_ramped_contract_in_the_admin(live_server, page):
    account = AccountFactory(legal_name="Initech GmbH")
    product = ProductFactory(sku="PLAT-SEAT", name="Platform seat")
    ProductPriceFactory(product=product, currency="USD", list_price=Decimal("1200"))
    ProductPriceFactory(product=product, currency="EUR", list_price=Decimal("1100.50"))
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)

    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/ordermgmt/contract/add/")

    page.fill("#id_name", "Initech platform, ramped")
    page.click("#id_account + .select2 .select2-selection")
    page.fill(".select2-search__field", "Initech")
    page.click(".select2-results__option >> text=Initech GmbH")
    page.fill("#id_start_date", "2026-01-01")
    page.fill("#id_end_date", "2026-12-31")
    page.select_option("#id_currency", "EUR")
    page.select_option("#id_payment_terms", "NET45")

    page.click("#lines-group .add-row a")
    page.select_option("select[name=lines-0-product]", str(product.pk))
    expect(page.locator("input[name=lines-0-unit_price]")).to_have_value("1,100.50")
    expect(page.locator("select[name=lines-0-currency]")).to_have_value("EUR")
    expect(page.locator("#lines-group .list-price-note").first).to_contain_text("EUR")
    page.fill("input[name=lines-0-quantity]", "10")

    steps = page.locator("#id_lines-0-ramp_steps")
    for index, (start, end, quantity, price) in enumerate(
        [("2026-01-01", "2026-06-30", "10", "1,100.50"), ("2026-07-01", "2026-12-31", "25", "990")]
    ):
        if index:
            steps.locator(".rows-add").click()
        row = steps.locator("tbody tr").nth(index)
        row.locator("input[name$=__start_date]").fill(start)
        row.locator("input[name$=__end_date]").fill(end)
        row.locator("input[name$=__quantity]").fill(quantity)
        row.locator("input[name$=__unit_price]").fill(price)
    artifact = save_artifact(page, "contract-entry")
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    contract = Contract.objects.get(name="Initech platform, ramped")
    line = contract.lines.get()
    assert (contract.account, contract.currency, contract.payment_terms) == (
        account,
        "EUR",
        "NET45",
    )
    assert (line.currency, line.unit_price, line.quantity) == ("EUR", Decimal("1100.50"), 10)
    assert [(s.start_date, s.quantity, s.unit_price) for s in line.ramp_steps.all()] == [
        (date(2026, 1, 1), Decimal("10"), Decimal("1100.50")),
        (date(2026, 7, 1), Decimal("25"), Decimal("990")),
    ]
    assert artifact.stat().st_size > 0
