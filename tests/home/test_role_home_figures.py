"""Role home pages: each figure links to the filtered list that shows exactly what it
counts (the list's own rows add up to the figure)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing.models import BillingRun, Invoice
from billing.services import apply_payment, execute_billing_run, queue_billing_run
from ordermgmt import roles
from tests.billing.helpers import pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory, active_contract

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 31)


def _home(client, role):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {kind: panel for kind, panel in response.context["panels"]}


def _figures(panel) -> dict:
    found = {f.key: f for f in panel.figures}
    for group in panel.groups.values():
        found.update({f.key: f for f in group})
    return found


def _money(text: str) -> Decimal:
    return Decimal(text.replace("$", "").replace(",", ""))


@freeze_time(TODAY)
def test_each_overdue_bucket_links_to_the_invoices_it_adds_up(client):
    account = AccountFactory()
    # NET30 from the invoice date: 10, 45 and 100 days past due on 31 March.
    for days_late, total in [(100, "1000.00"), (45, "250.00"), (10, "100.00")]:
        IssuedInvoiceFactory(
            account=account, total=total, invoice_date=TODAY - timedelta(days=30 + days_late)
        )
    IssuedInvoiceFactory(account=account, total="7.00", invoice_date=TODAY)  # current
    finance = _figures(_home(client, roles.FINANCE)["finance"])
    assert _money(finance["ar-total"].value) == Decimal("1357.00")
    assert _money(finance["ar-overdue"].value) == Decimal("1350.00")
    for key in ["overdue-d1_30", "overdue-d31_60", "overdue-d91_120", "overdue-over_120"]:
        figure = finance[key]
        rows = client.get(figure.url).context["rows"]
        listed = sum((row.invoice.open_amount for row in rows), Decimal(0))
        assert listed == _money(figure.value), key
    assert _money(finance["overdue-d91_120"].value) == Decimal("1000.00")


@freeze_time(TODAY)
def test_unapplied_cash_links_to_the_payments_that_hold_it(client):
    account = AccountFactory()
    invoice = IssuedInvoiceFactory(account=account, total="100.00", invoice_date=date(2026, 3, 1))
    pay(account, "40.00", reference="ON-ACCOUNT", received_date=date(2026, 3, 2))
    applied = pay(account, "100.00", reference="APPLIED", received_date=date(2026, 3, 3))
    apply_payment(payment=applied, invoice=invoice, amount=Decimal("100.00"), actor=None)
    figure = _figures(_home(client, roles.FINANCE)["finance"])["unapplied-cash"]
    assert figure.value == "$40.00"
    rows = client.get(figure.url).context["rows"]
    assert [row.payment.reference for row in rows] == ["ON-ACCOUNT"]


def test_drafts_by_run_link_to_exactly_that_runs_drafts(client):
    active_contract()
    active_contract()
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None, dry_run=False)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    panel = _figures(_home(client, roles.ORDER_SPECIALIST)["specialist"])
    figure = panel[f"drafts-run-{run.pk}"]
    assert figure.value == "2"
    rows = client.get(figure.url).context["rows"]
    drafts = Invoice.objects.filter(billing_run=run, status="draft")
    expected = set(drafts.values_list("pk", flat=True))
    assert {row.invoice.pk for row in rows} == expected and len(expected) == 2
    assert panel["approved-not-active"].value == "0"


def test_the_deal_desk_home_counts_the_queue_by_sla(client):
    from ordermgmt import services
    from tests.factories import make_contract

    services.submit_contract(contract=make_contract(name="Review me"), actor=None)
    panels = _home(client, roles.DEAL_DESK)
    assert set(panels) == {"dealdesk"}
    figures = _figures(panels["dealdesk"])
    assert figures["reviews-open"].value == "1"
    assert figures["reviews-within-sla"].value == "1"
    assert figures["reviews-past-sla"].value == "0"
    queue = client.get(figures["reviews-open"].url)
    assert "Review me" in queue.content.decode()


def test_a_specialist_sees_no_money_panel_and_finance_no_work_queue(client):
    assert set(_home(client, roles.ORDER_SPECIALIST)) == {"specialist"}
    assert set(_home(client, roles.FINANCE)) == {"finance"}
