"""In real headless Chromium: finance filters the invoice list, saves the filter under a
name, and opening the saved filter from the plain list shows the same rows."""

import pytest
from playwright.sync_api import expect

from ordermgmt import roles
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_saved_filter_shows_the_same_rows(live_server, page):
    for _ in range(2):
        IssuedInvoiceFactory(currency="USD")
    IssuedInvoiceFactory(account=AccountFactory(default_currency="EUR"), currency="EUR")
    finance = UserFactory(role=roles.FINANCE)
    page.set_default_timeout(60000)  # a busy shared machine
    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/billing/invoices/")
    expect(page.locator("#invoices tbody tr")).to_have_count(3)
    page.select_option("#id_currency", "EUR")
    page.locator("#invoice-filters button[type=submit]").click()
    rows = page.locator("#invoices tbody tr td:first-child")
    expect(rows).to_have_count(1)
    filtered = rows.all_inner_texts()

    page.fill("#saved-filter-name", "Euro invoices")
    page.locator("#save-filter button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Saved filter “Euro invoices”")

    page.goto(f"{live_server.url}/billing/invoices/")
    expect(page.locator("#invoices tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Euro invoices").click()
    expect(rows).to_have_count(1)
    assert rows.all_inner_texts() == filtered
    expect(page.locator(".saved-filter.current")).to_contain_text("Euro invoices")
