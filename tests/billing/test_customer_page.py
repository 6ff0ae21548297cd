"""The customer page: the timeline of schedule, invoices, credits and payments."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing.models import Invoice
from billing.services import (
    apply_payment,
    issue_credit_note,
    issue_invoice,
    record_payment,
)
from tests.billing.page_helpers import DD, OS, bill, logged_in, text
from tests.factories import (
    active_contract,
    billable_account,
)

pytestmark = pytest.mark.django_db


# --- Customer page ------------------------------------------------------------------------------


def test_the_customer_timeline_puts_schedule_invoices_credits_and_payments_in_date_order(client):
    account = billable_account(legal_name="Initech LLC")
    contract = active_contract(account=account, billing_frequency="quarterly")
    bill(date(2026, 4, 1))  # Q1 and Q2
    invoice = issue_invoice(invoice=Invoice.objects.get(contract=contract), actor=None)
    note = issue_credit_note(
        invoice=invoice,
        actor=None,
        reason="Late go-live",
        amount=Decimal("500.00"),
        credit_date=date(2026, 4, 20),
    )
    payment = record_payment(
        account=account,
        amount=Decimal("1000.00"),
        currency="USD",
        received_date=date(2026, 4, 10),
        method="ach",
        reference="ACH-55",
        actor=None,
    )
    apply_payment(
        payment=payment,
        invoice=invoice,
        amount=Decimal("1000.00"),
        actor=None,
        applied_date=date(2026, 4, 10),
    )
    logged_in(client, OS)
    with freeze_time("2026-05-15"):
        response = client.get(reverse("billing:account_detail", args=[account.pk]))
    timeline = response.context["timeline"]
    entries = [(e.when, e.kind) for e in timeline.entries]
    assert entries == sorted(
        entries,
        key=lambda e: (
            e[0],
            ["scheduled", "billed", "invoice", "credit_note", "payment"].index(e[1]),
        ),
    )
    assert entries == [
        (date(2026, 1, 1), "billed"),
        (date(2026, 4, 1), "billed"),
        (date(2026, 4, 1), "invoice"),
        (date(2026, 4, 10), "payment"),
        (date(2026, 4, 20), "credit_note"),
        (date(2026, 7, 1), "scheduled"),
        (date(2026, 10, 1), "scheduled"),
    ]
    assert timeline.today_index == 5
    page = text(response)
    assert "Initech LLC" in page
    assert f"Invoice {invoice.number}" in page and f"Credit note {note.number}" in page
    assert "Payment ACH ACH-55" in page and f"Applied to {invoice.number} $1,000.00" in page
    assert "Today, 15 May 2026: upcoming below" in page
    assert f"Billed on {invoice.number}" in page
    balance = timeline.balances[0]
    assert (balance.invoiced, balance.credited, balance.open) == (
        "$6,000.00",
        "$500.00",
        "$4,500.00",
    )


def test_the_customer_page_can_show_one_contract_only(client):
    account = billable_account()
    first = active_contract(account=account)
    second = active_contract(account=account, billing_frequency="monthly")
    bill(date(2026, 1, 1))
    logged_in(client, DD)
    url = reverse("billing:account_detail", args=[account.pk])
    response = client.get(url, {"contract": second.pk})
    assert {e.contract for e in response.context["timeline"].entries} == {second.reference}
    assert "Payments are hidden" in text(response)  # deal desk does not see cash
    assert client.get(url, {"contract": "nope"}).status_code == 404
    other = active_contract()
    assert client.get(url, {"contract": other.pk}).status_code == 404
    assert first.reference in text(client.get(url))


def test_the_customer_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    account = billable_account()
    for _ in range(3):
        active_contract(account=account, billing_frequency="monthly")
    bill(date(2026, 6, 1))
    for invoice in Invoice.objects.all():
        issue_invoice(invoice=invoice, actor=None)
    logged_in(client, OS)
    # 17: the commitments and credits card (billing.usage) adds one query.
    with django_assert_max_num_queries(17):
        client.get(reverse("billing:account_detail", args=[account.pk]))
