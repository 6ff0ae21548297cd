"""In real headless Chromium: a specialist upgrades a monthly plan half-way through an
invoiced month on the contract's change orders page, and sees the credit for the unused
time of the old seats and the debit for the rest of the month at the new seats."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingRun
from billing.services import execute_billing_run, queue_billing_run
from core.money import format_money, round_money
from ordermgmt import roles
from ordermgmt.models import ContractChange
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory, active_contract

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_upgrade_mid_month_on_the_page_shows_its_credit_and_debit(live_server, page):
    # A monthly plan that started on the 1st of this month: 10 seats x 1,200.00 a year =
    # 1,000.00 a month, this month already invoiced.
    today = timezone.localdate()
    start = today.replace(day=1)
    end = (start + timedelta(days=366)).replace(day=1) - timedelta(days=1)
    contract = active_contract(billing_frequency="monthly", start_date=start, end_date=end)
    run = queue_billing_run(run_date=start, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    # From today to the month's end, at 10 seats (credited) and at 20 seats (debited).
    month_days = calendar.monthrange(today.year, today.month)[1]
    days_left = month_days - today.day + 1
    credit = -round_money(Decimal(1000) * days_left / month_days, "USD")
    debit = round_money(Decimal(2000) * days_left / month_days, "USD")

    specialist = UserFactory(role=roles.ORDER_SPECIALIST)
    log_in(page, live_server, specialist.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/billing/contracts/{contract.pk}/change-orders/")
    page.select_option("#id_kind", "quantity")
    page.select_option("#id_line", str(contract.lines.get().pk))
    page.fill("#id_effective_date", today.isoformat())
    page.fill("#id_quantity", "20")
    page.select_option("#id_proration_behavior", "next_invoice")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#change-order-submit")

    change = ContractChange.objects.get(contract=contract)
    block = page.locator(f"#change-{change.pk}")
    expect(block).to_contain_text("Change quantity")
    expect(block.locator("tr.proration_credit")).to_contain_text(format_money(credit, "USD"))
    expect(block.locator("tr.proration_debit")).to_contain_text(format_money(debit, "USD"))
    expect(block.locator("tr.proration_credit")).to_contain_text(
        f"actual/actual: {days_left}/{month_days} days"
    )
    expect(block.locator("tr.proration_debit")).to_contain_text("$24,000.00 a year")
    assert isinstance(start, date)
