"""Issued invoices and recorded payments for the cash tests (test_payments, the cash pages
and API), made through the billing services as the console makes them."""

from datetime import date
from decimal import Decimal

from billing.models import BillingRun, Invoice, Payment
from billing.services import execute_billing_run, issue_invoice, queue_billing_run, record_payment
from tests.factories import active_contract

RECEIVED = date(2026, 1, 20)


def issued_invoices(account, n=1, **terms) -> list[Invoice]:
    """n issued invoices of 12,000.00 each (one per annual contract, billed in advance)."""
    for _ in range(n):
        active_contract(account=account, **terms)
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return [
        issue_invoice(invoice=i, actor=None)
        for i in Invoice.objects.filter(account=account, status="draft").order_by("id")
    ]


def pay(account, amount, currency="USD", **kwargs) -> Payment:
    """A wire received on RECEIVED unless said otherwise."""
    values = {"received_date": RECEIVED, "method": "wire", "reference": "WIRE-1"}
    values.update(kwargs)
    return record_payment(
        account=account, amount=Decimal(amount), currency=currency, actor=None, **values
    )
