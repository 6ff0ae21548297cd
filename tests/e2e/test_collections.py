"""In real headless Chromium: finance works the collections worklist and records a promise
to pay on an overdue account."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from collections_app.models import ActivityKind, CollectionActivity
from collections_app.services import send_due_reminders
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
)
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("dunning_mail", "no_issue_hooks"),
]


def screenshot(page, name: str) -> None:
    """Set COLLECTIONS_SCREENSHOTS=<dir> to keep pictures of the pages for a look."""
    folder = os.environ.get("COLLECTIONS_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_finance_opens_an_overdue_account_and_records_a_promise_to_pay(live_server, page):
    today = timezone.localdate()
    globex = customer("Globex Corporation")
    overdue = issued_invoice(due=today - timedelta(days=18), account=globex, total="12400.00")
    issued_invoice(due=today + timedelta(days=10), account=globex, total="3100.00")
    issued_invoice(due=today - timedelta(days=4), account=customer("Initech LLC"), total="2200.00")
    send_due_reminders(as_of=today)
    user = UserFactory(role=roles.FINANCE)

    log_in(page, live_server, user.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-collections")
    rows = page.locator("#worklist tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Globex Corporation")  # the larger balance first
    expect(rows.first).to_contain_text("$12,400.00")
    expect(rows.first).to_contain_text("18 d")
    screenshot(page, "worklist")

    rows.first.get_by_role("link", name="Globex Corporation").click()
    expect(page.locator("h1")).to_have_text("Globex Corporation")
    expect(page.locator("#open-invoices")).to_contain_text(overdue.number)
    expect(page.locator("#reminders")).to_contain_text(overdue.number)

    promised = today + timedelta(days=7)
    form = page.locator("#promise-form")
    form.locator("select[name=promise-invoice]").select_option(str(overdue.pk))
    form.locator("input[name=promise-promised_date]").fill(promised.isoformat())
    form.locator("input[name=promise-amount]").fill("12400.00")
    form.locator("textarea[name=promise-note]").fill("Controller confirmed the wire by phone")
    form.get_by_role("button", name="Record promise").click()

    expect(page.locator(".messages li.success")).to_contain_text("Promise to pay recorded")
    promise_row = page.locator("#activities tr.act-promise")
    expect(promise_row).to_contain_text(f"$12,400.00 by {promised.day} {promised:%b %Y}")
    expect(promise_row).to_contain_text("Pending")
    expect(promise_row).to_contain_text("Controller confirmed the wire by phone")
    invoice_row = page.locator(f"#open-invoices tr[data-invoice='{overdue.pk}']")
    expect(invoice_row).to_contain_text("Paused: promise to pay")
    screenshot(page, "account")

    promise = CollectionActivity.objects.get(kind=ActivityKind.PROMISE)
    assert (promise.invoice_id, promise.amount, promise.promised_date, promise.created_by) == (
        overdue.pk,
        Decimal("12400.00"),
        promised,
        user,
    )

    page.click("a.nav-collections")
    expect(page.locator("#worklist tbody tr").first).to_contain_text("Pending")
