"""In real headless Chromium: Finance opens the revenue waterfall, sees the server-drawn
chart and the contract's months, and downloads the CSV export (which is logged)."""

import os
from datetime import date

import pytest
from playwright.sync_api import expect

from collections_app.models import ExportLog
from ordermgmt import roles
from ordermgmt.models import RevenueType
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory
from tests.revenue.helpers import activated, bill_and_issue, line, product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    """Set REVENUE_SCREENSHOTS=<dir> to keep pictures of the pages for a look."""
    folder = os.environ.get("REVENUE_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_finance_opens_the_waterfall_and_downloads_the_export(live_server, page):
    platform = product("36500", revenue_type=RevenueType.SUBSCRIPTION, name="Platform")
    contract = activated(
        [line(platform, "36500")], start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    bill_and_issue(date(2026, 1, 1))
    finance = UserFactory(role=roles.FINANCE)

    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-revenue")
    page.fill("#id_as_of", "2026-03-31")
    page.fill("#id_start", "2026-01-01")
    page.click("#revenue-params button[type=submit]")
    expect(page.locator("#waterfall-chart svg")).to_be_visible()
    expect(page.locator("#waterfall-chart .bar.recognised")).to_have_count(3)
    expect(page.locator("#waterfall-chart .bar.scheduled")).to_have_count(9)
    row = page.locator("#waterfall-table tbody tr", has_text=contract.reference)
    expect(row).to_contain_text("3,100.00")  # January: 31 days x 100
    expect(row).to_contain_text("2,800.00")  # February 2026: 28 days
    expect(row).to_contain_text("36,500.00")
    screenshot(page, "waterfall")

    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == "ledgerline-revenue-waterfall-USD-2026-03-31.csv"
    with open(download.path(), encoding="utf-8-sig") as handle:
        content = handle.read()
    assert contract.reference in content and "3100.00" in content
    log = ExportLog.objects.get()
    assert (log.user_id, log.report, log.file_format) == (finance.pk, "revenue_waterfall", "csv")
    assert log.parameters["as_of"] == "2026-03-31"
