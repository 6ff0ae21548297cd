"""In real headless Chromium, each role's day: the specialist finds a customer by PO number
from the top-bar search, issues a run's drafts in bulk and sends one; finance sees AR on
the home page, follows overdue to the list and exports it as CSV; deal desk goes from the
queue to a decision. Each role's home page is saved as a screenshot artifact
(`artifacts/screenshots/`, or the folder in LEDGERLINE_ARTIFACTS; ignored by git)."""

import csv
import io
import os
import pathlib
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import BillingRun, Invoice, InvoiceDelivery
from billing.services import execute_billing_run, queue_billing_run
from collections_app.models import ExportLog
from ordermgmt import roles, services
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory, active_contract, billable_account
from tests.ordermgmt.dealdesk_factories import flagged_contract, priced_product, standard_line

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = pathlib.Path(__file__).resolve().parents[2]


def artifact(page, name: str) -> pathlib.Path:
    folder = pathlib.Path(os.environ.get("LEDGERLINE_ARTIFACTS", ROOT / "artifacts"))
    folder = folder / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_out(page):
    page.click("form[action='/logout/'] button")


@pytest.fixture
def book():
    wayne = billable_account(legal_name="Wayne Enterprises")
    active_contract(account=wayne, name="Wayne platform", po_number="PO-WAYNE-7781")
    active_contract(name="Stark analytics")
    queued = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    run = execute_billing_run(run=BillingRun.objects.get(pk=queued.pk))
    assert Invoice.objects.filter(billing_run=run, status="draft").count() == 2
    return wayne, run


def test_each_role_works_its_day_in_the_console(live_server, page, book):
    wayne, run = book
    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    finance = UserFactory(role=roles.FINANCE)
    reviewer = UserFactory(role=roles.DEAL_DESK)

    # --- Specialist: top-bar search by PO number, bulk issue, send one -------------------
    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#fig-drafts")).to_contain_text("2")
    artifact(page, "home-order-specialist")
    page.locator("body").press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type("PO-WAYNE")
    page.keyboard.press("Enter")
    customers = page.locator("#search-customers")
    expect(customers).to_contain_text("Wayne Enterprises")
    page.keyboard.press("ArrowDown")  # from the box to the first result
    expect(page.locator(".search-hit").first).to_be_focused()
    customers.get_by_role("link", name="Wayne Enterprises").click()
    expect(page.locator("h1")).to_contain_text("Wayne Enterprises")

    page.goto(f"{live_server.url}/billing/runs/{run.pk}/")
    page.click("#issue-all")
    # Issuing also queues each invoice's e-mail (run at once here: no worker).
    expect(page.locator("#bulk-status")).to_contain_text("2 done", timeout=60000)
    page.wait_for_load_state("load")
    expect(page.locator("#run-invoices tr[data-status='issued']")).to_have_count(2)
    expect(page.locator("#run-invoices .pill.sent")).to_have_count(2)
    # Sending one again from the run page sends nothing twice.
    first = page.locator("#run-invoices tr[data-invoice]").first
    first.locator(".bulk-pick").check()
    page.click("#send-selected")
    expect(page.locator("#bulk-status")).to_contain_text("1 already done", timeout=30000)
    assert InvoiceDelivery.objects.count() == 2
    assert set(Invoice.objects.filter(billing_run=run).values_list("status", flat=True)) == {
        "issued"
    }
    log_out(page)

    # --- Finance: AR on the home page, overdue to the list, CSV of it -------------------
    log_in(page, live_server, finance.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    ar_total = page.locator("#fig-ar-total .count").inner_text()
    issued_total = sum(i.total_amount for i in Invoice.objects.filter(billing_run=run))
    assert Decimal(ar_total.replace("$", "").replace(",", "")) == issued_total
    artifact(page, "home-finance")
    page.click("#fig-ar-overdue")
    expect(page.locator("#invoices tbody tr")).to_have_count(2)
    expect(page.locator("#id_overdue")).to_be_checked()
    with page.expect_download() as download:
        page.click("#invoice-export")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text("utf-8-sig"))))
    numbers = set(Invoice.objects.filter(billing_run=run).values_list("number", flat=True))
    assert {row["number"] for row in rows} == numbers
    assert ExportLog.objects.get().user == finance
    log_out(page)

    # --- Deal desk: from the queue on the home page to a decision -----------------------
    lines = [standard_line(priced_product(sku="PLAT-SEAT"), discount_percent=Decimal("35"))]
    contract = flagged_contract(name="Globex renewal", lines=lines, actor=specialist)
    contract = services.submit_contract(contract=contract, actor=specialist)
    log_in(page, live_server, reviewer.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator("#fig-reviews-open .count")).to_have_text("1")
    decisions_before = int(page.locator("#fig-decisions-week .count").inner_text())
    artifact(page, "home-deal-desk")
    page.click("#fig-reviews-open")
    row = page.locator("tr.review-row", has_text=contract.reference)
    row.get_by_role("link", name=contract.reference).click()
    page.fill("#approve-form textarea", "Strategic logo: accepted once.")
    page.click("#approve-form button")
    expect(page.locator("#contract-status")).to_have_text("Approved")
    page.goto(f"{live_server.url}/")
    expect(page.locator("#fig-decisions-week .count")).to_have_text(str(decisions_before + 1))
