"""Issued invoices and recorded payments for the cash tests (test_payments, the cash pages
and API), made through the billing services (issue, record payment)."""

from datetime import date
from decimal import Decimal

from billing.models import Invoice, Payment
from billing.services import record_payment
from tests.factories import IssuedInvoiceFactory

RECEIVED = date(2026, 1, 20)


def issued_invoices(account, n=1, **terms) -> list[Invoice]:
    """n issued invoices of 12,000.00 each dated 1 Jan 2026, as billing an annual contract
    of 10 seats at 1,200.00 in advance gives; `terms`: payment_terms, currency."""
    return [
        IssuedInvoiceFactory(
            account=account, total="12000.00", invoice_date=date(2026, 1, 1), **terms
        )
        for _ in range(n)
    ]


def pay(account, amount, currency="USD", **kwargs) -> Payment:
    """A wire received on RECEIVED unless said otherwise."""
    values = {"received_date": RECEIVED, "method": "wire", "reference": "WIRE-1"}
    values.update(kwargs)
    return record_payment(
        account=account, amount=Decimal(amount), currency=currency, actor=None, **values
    )
