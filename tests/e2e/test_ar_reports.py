"""In real headless Chromium: finance opens the AR aging, moves the as-of date, drills into
a customer and downloads the CSV (which is logged)."""

import csv
import io
import os
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from billing.services import invoicing
from collections_app.models import ExportLog
from ordermgmt import roles
from tests.collections.test_aging_book import (
    apply,
    fx,
    issued_invoice,
    later_events,
    payment,
    worked_example_book,
)
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, AccountFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    """Set AR_REPORTS_SCREENSHOTS=<dir> to keep pictures of the pages for a look."""
    folder = os.environ.get("AR_REPORTS_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def a_small_book():
    book = worked_example_book()
    later_events(book)
    for name, amount, day, paid in [
        ("Initech LLC", "4200.00", date(2026, 1, 20), "1200.00"),
        ("Umbrella Health", "9800.00", date(2026, 3, 2), None),
        ("Hooli Inc.", "2500.00", date(2025, 12, 1), "2500.00"),
    ]:
        account = AccountFactory(legal_name=name)
        invoice = issued_invoice(account, amount, day)
        if paid:
            on = date(2026, 4, 2)
            apply(payment(account, paid, on), invoice, paid, on)
    globex = AccountFactory(legal_name="Globex GmbH", default_currency="EUR")
    issued_invoice(globex, "7300.00", date(2026, 2, 14), currency="EUR")
    fx("EUR", "1.0850", date(2026, 3, 31))
    return book


def test_finance_moves_the_as_of_date_drills_into_a_customer_and_downloads_the_csv(
    live_server, page, monkeypatch, settings
):
    # The live server serves static files through the finders, which know no hashed
    # (manifest) names: plain names, so the stylesheets load.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    monkeypatch.setattr(invoicing, "ON_ISSUE", [])  # no e-mail, PDF or Stripe for the book
    book = a_small_book()
    finance = UserFactory(role=roles.FINANCE)

    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-ar-reports")
    expect(page.locator("h1")).to_contain_text("AR aging")
    expect(page.locator("#bucket-chart svg")).to_be_visible()

    page.fill("#id_as_of", "2026-03-31")
    page.click("#aging-submit")
    page.wait_for_url("**as_of=2026-03-31**")
    expect(page.locator("h1")).to_contain_text("31 Mar 2026")
    acme = page.locator("#aging-USD tr", has_text="Acme Corp")
    expect(acme).to_contain_text("1,700.00")  # B, 19 days past due
    expect(acme).to_contain_text("-900.00")  # P1's unapplied cash
    expect(acme).to_contain_text("3,700.00")  # net total (see tests/collections/test_aging.py)
    expect(page.locator("#rates-used")).to_contain_text("1 EUR = 1.085 USD")
    screenshot(page, "aging")

    page.click("#aging-USD a.drill:has-text('Acme Corp')")
    expect(page.locator("#customer-name")).to_contain_text("Acme Corp")
    row_d = page.locator("table.documents tr", has_text=book.d.number)
    expect(row_d.locator("td.days")).to_have_text("151")
    expect(row_d).to_contain_text("Over 120")
    screenshot(page, "aging_customer")

    with page.expect_download() as download_info:
        page.click("#export-account-csv")
    download = download_info.value
    assert download.suggested_filename.endswith(f"-account-{book.account.pk}.csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    references = {row[3]: row for row in rows[1:]}
    assert references[book.d.number][13] == "2000.00"
    assert references["WIRE-P1"][13] == "-900.00"
    log = ExportLog.objects.get()
    assert (log.user_id, log.report, log.file_format, log.row_count) == (
        finance.pk, "aging_documents", "csv", 5,
    )  # fmt: skip
    assert log.parameters["as_of"] == "2026-03-31"

    page.goto(f"{live_server.url}/collections/dso/?start=2026-01-01&end=2026-04-30")
    expect(page.locator("#dso-trend svg")).to_be_visible()
    screenshot(page, "dso")
