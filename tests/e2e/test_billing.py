"""In real headless Chromium: a specialist previews a billing run, runs it, watches it
finish, opens an invoice it made, reads why the amount is what it is, and issues it."""

import os
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from billing.models import BillingRun, Invoice
from billing.services import execute_billing_run
from billing.services import runs as run_services
from ordermgmt import roles
from tests.e2e.conftest import log_in
from tests.factories import (
    PASSWORD,
    AccountFactory,
    ProductFactory,
    UserFactory,
    active_contract,
    billable_account,
    line_input,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("LEDGERLINE_SCREENSHOTS", "/tmp/ledgerline-screenshots"))


def worker_after(seconds: float):
    """Stands in for a Celery worker that picks the run up a moment after it is queued,
    so that the page has a run in progress to follow."""

    def enqueue(run_id: int) -> None:
        def work():
            try:
                time.sleep(seconds)
                execute_billing_run(run=BillingRun.objects.get(pk=run_id))
            finally:
                connection.close()

        threading.Thread(target=work, daemon=True).start()

    return enqueue


def test_a_specialist_previews_runs_and_issues_with_the_why_in_view(
    live_server, page, settings, monkeypatch
):
    settings.LEDGERLINE_BILLING_CHUNK_SIZE = 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    platform = ProductFactory(name="Analytics platform")
    account = billable_account(legal_name="Northwind Traders")
    contract = active_contract(
        account=account,
        name="Northwind platform",
        start_date=date(2026, 1, 15),
        end_date=date(2027, 1, 14),
        billing_frequency="monthly",
        billing_anchor_day=1,
        po_number="PO-4471",
        lines=[line_input(platform, quantity=Decimal(25), unit_price=Decimal("960.00"))],
    )
    active_contract(
        account=billable_account(legal_name="Contoso GmbH", billing_country="DE"), currency="EUR"
    )
    active_contract(account=AccountFactory(legal_name="Initech (no contact)"))
    specialist = UserFactory(role=roles.ORDER_SPECIALIST, first_name="Sam")

    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-billing-runs")
    page.fill("#id_run_date", "2026-02-01")

    # 1. Preview: nothing written, the invoices it would make are listed.
    page.click("#preview-button")
    page.wait_for_selector("#preview-invoices")
    preview = page.locator("#preview-invoices").inner_text()
    assert contract.reference in preview and "Northwind Traders" in preview
    assert "No billing contact" in preview
    assert Invoice.objects.count() == 0
    page.screenshot(path=str(SCREENSHOTS / "billing-preview.png"), full_page=True)

    # 2. Run it for real; a "worker" takes it a moment later and the page follows it.
    monkeypatch.setattr(run_services, "ON_RUN_QUEUED", [worker_after(1.5)])
    # Northwind bills its January stub and February at once: a catch-up, confirmed.
    assert "Catch-up: 2 periods" in preview
    page.check("#confirm-catch-up")
    page.click("#run-for-real")
    page.wait_for_selector("#run-progress")
    assert page.locator("#run-status").inner_text() in {"Queued", "Running"}
    page.wait_for_selector("#run-summary", timeout=30000)
    assert page.locator("#run-status").inner_text() == "Completed"
    assert page.locator("#run-progress .progress-text").inner_text() == "100%"
    summary = page.locator("#currency-summary").inner_text()
    assert "USD" in summary and "EUR" in summary
    exceptions = page.locator("#exceptions").inner_text()
    assert "Initech (no contact)" in exceptions and "Add a billing contact" in exceptions
    page.screenshot(path=str(SCREENSHOTS / "billing-run.png"), full_page=True)

    # 3. Open the Northwind invoice and read why its first line is what it is.
    invoice = Invoice.objects.get(contract=contract)
    page.click(f"#run-invoices a[href='/billing/invoices/{invoice.pk}/']")
    page.wait_for_selector("#invoice-lines")
    assert page.locator("#invoice-number").inner_text().startswith("DRAFT")
    first_why = page.locator("details.why").first
    first_why.locator("summary").click()
    why = first_why.inner_text()
    assert "Why this amount" in why
    assert "25 × $960.00 = $24,000.00 a year × 1/12 year × 17/31 days" in why
    assert "Partial period, actual/actual: 17/31 days" in why
    assert contract.reference in why and "15 Jan 2026 – 31 Jan 2026" in why
    page.screenshot(path=str(SCREENSHOTS / "invoice-draft.png"), full_page=True)

    # 4. Issue it: it gets the next number of the series.
    page.click("#action-issue button[type=submit]")
    page.wait_for_selector(".messages li")
    assert "Issued INV-2026-000001." in page.locator(".messages").inner_text()
    assert page.locator("#invoice-number").inner_text() == "Invoice INV-2026-000001"
    assert page.locator("#invoice-status").inner_text() == "Issued"
    invoice.refresh_from_db()
    assert invoice.number == "INV-2026-000001" and invoice.status == "issued"
    page.screenshot(path=str(SCREENSHOTS / "invoice-issued.png"), full_page=True)
