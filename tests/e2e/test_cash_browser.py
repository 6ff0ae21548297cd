"""In real headless Chromium: finance records a wire, applies part of it to an open invoice
and sees the invoice's open balance drop."""

import os
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.models import BillingRun, Invoice, Payment
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from ordermgmt import roles
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory, active_contract, billable_account

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def screenshot(page, name: str) -> None:
    """Set CASH_SCREENSHOTS=<dir> to keep pictures of the pages for a look."""
    folder = os.environ.get("CASH_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def test_finance_records_a_payment_applies_it_and_the_invoice_balance_drops(live_server, page):
    account = billable_account(legal_name="Northwind Traders")
    active_contract(account=account)  # one annual invoice of 12,000.00
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    invoice = issue_invoice(invoice=Invoice.objects.get(account=account), actor=None)
    user = UserFactory(role=roles.FINANCE)

    log_in(page, live_server, user.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.click("a.nav-cash")
    expect(page.locator("h1")).to_have_text("Payments")
    page.click("#record-payment")

    form = page.locator("#record-payment-form")
    # The customer box is a type-ahead: type part of the name, arrow down, Enter.
    form.locator("#id_account").press_sequentially("Northw")
    expect(form.locator("#id_account_choices li[role=option]").first).to_contain_text(
        "Northwind Traders"
    )
    form.locator("#id_account").press("ArrowDown")
    form.locator("#id_account").press("Enter")
    expect(form.locator("input[name=account]")).to_have_value(str(account.pk))
    form.locator("select[name=method]").select_option("wire")
    form.locator("input[name=reference]").fill("WIRE-20260120-77")
    form.locator("input[name=received_date]").fill("2026-01-20")
    form.locator("select[name=currency]").select_option("USD")
    form.locator("input[name=amount]").fill("5000.00")
    screenshot(page, "record")
    form.locator("#record-button").click()

    expect(page.locator("#payment-title")).to_have_text("Payment WIRE-20260120-77")
    expect(page.locator("#unapplied-amount")).to_have_text("$5,000.00")
    row = page.locator(f"#open-invoices tr[data-invoice='{invoice.pk}']")
    expect(row).to_contain_text(invoice.number)
    expect(row.locator(".open-amount")).to_have_text("$12,000.00")
    row.locator(f"input[name=apply-invoice_{invoice.pk}]").fill("4500.00")
    screenshot(page, "apply")
    page.click("#apply-button")

    expect(page.locator(".messages li.success")).to_contain_text(
        f"Applied $4,500.00 to {invoice.number}"
    )
    expect(page.locator("#unapplied-amount")).to_have_text("$500.00")
    expect(page.locator("#applications")).to_contain_text(invoice.number)
    expect(
        page.locator(f"#open-invoices tr[data-invoice='{invoice.pk}'] .open-amount")
    ).to_have_text("$7,500.00")
    screenshot(page, "payment")

    page.locator("#applications").get_by_role("link", name=invoice.number).click()
    expect(page.locator("#open-amount")).to_have_text("$7,500.00")
    expect(page.locator("#payments-applied")).to_contain_text("WIRE-20260120-77")
    screenshot(page, "invoice")

    payment = Payment.objects.get()
    assert (payment.applied_amount, payment.created_by) == (Decimal("4500.00"), user)
