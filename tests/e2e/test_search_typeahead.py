"""In real headless Chromium: the top-bar type-ahead. "/" focuses the box, typing shows the
top matches per kind (number matches in number order), the arrows move, Enter opens the
highlighted hit, Esc closes the dropdown, and Enter without a highlight opens the page."""

import pytest
from playwright.sync_api import expect

from ordermgmt import roles
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, AccountFactory, IssuedInvoiceFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_type_ahead_is_driven_from_the_keyboard(live_server, page):
    account = AccountFactory(legal_name="Initech Systems")
    invoices = [IssuedInvoiceFactory(account=account) for _ in range(3)]
    finance = UserFactory(role=roles.FINANCE)
    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")

    page.locator("body").press("/")
    box = page.locator("#global-search")
    expect(box).to_be_focused()
    page.keyboard.type(invoices[0].number[:-1], delay=20)
    dropdown = page.locator("#search-suggest")
    expect(dropdown).to_be_visible()
    hits = dropdown.locator("[data-kind=invoices] a[role=option] strong")
    expect(hits).to_have_text([invoice.number for invoice in invoices])

    page.keyboard.press("Escape")
    expect(dropdown).to_be_hidden()
    expect(box).to_be_focused()

    page.keyboard.press("Backspace")  # typing again reopens it
    expect(dropdown).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    second = dropdown.locator("[data-kind=invoices] a[role=option]").nth(1)
    expect(second).to_have_class("suggest-hit active")
    expect(box).to_have_attribute("aria-activedescendant", "search-suggest-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/billing/invoices/{invoices[1].pk}/")

    page.locator("body").press("/")
    page.keyboard.type("Initech")
    expect(page.locator("#search-suggest [data-kind=customers]")).to_contain_text("Initech Systems")
    page.keyboard.press("Enter")  # nothing highlighted: the full results page
    expect(page.locator("#search-customers")).to_contain_text("Initech Systems")
