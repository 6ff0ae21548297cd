"""A small book of invoices, payments and credit notes for the AR report tests, built
through the billing services (issue_invoice, record_payment, apply_payment, ...)
exactly as the console does. Imported by the other AR report tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from billing.models import FxRate, Invoice, InvoiceLine, LegalEntity
from billing.services import (
    apply_payment,
    issue_credit_note,
    issue_invoice,
    record_payment,
    refund_payment,
    reverse_application,
)
from core.terms import PaymentTerms
from tests.collections.dunning_helpers import seller_for
from tests.factories import AccountFactory, LegalEntityFactory

D = Decimal


def legal_entity() -> LegalEntity:
    return LegalEntity.objects.filter(is_default=True).first() or LegalEntityFactory()


def issued_invoice(
    account,
    total: str,
    invoice_date: date,
    *,
    net_days: int = 30,
    currency: str = "USD",
    entity: LegalEntity | None = None,
) -> Invoice:
    """An issued invoice of one untaxed line; due `net_days` after its date."""
    amount = D(total)
    invoice = Invoice.objects.create(
        legal_entity=entity or seller_for(invoice_date),
        account=account,
        currency=currency,
        invoice_date=invoice_date,
        due_date=PaymentTerms.parse(f"NET{net_days}").due_date(invoice_date),
        payment_terms=f"NET{net_days}",
        buyer_name=account.legal_name,
        subtotal_amount=amount,
        total_amount=amount,
    )
    InvoiceLine.objects.create(
        invoice=invoice, position=1, description="Platform", quantity=1, unit_price=amount,
        amount=amount,
    )  # fmt: skip
    # The draft carries its own date, as a billing run's does; a book built out of date
    # order bills the earlier dates through a branch (numbers follow dates per seller).
    return issue_invoice(invoice=invoice, actor=None)


def payment(account, amount: str, received: date, currency: str = "USD", reference="WIRE"):
    return record_payment(
        account=account,
        amount=D(amount),
        currency=currency,
        received_date=received,
        method="wire",
        reference=reference,
        actor=None,
    )


def apply(pay, invoice, amount: str, on: date):
    return apply_payment(
        payment=pay, invoice=invoice, amount=D(amount), actor=None, applied_date=on
    )


def reverse(application, on: date):
    return reverse_application(
        application=application, actor=None, reason="Misapplied", reversal_date=on
    )


def credit(invoice, amount: str, on: date):
    return issue_credit_note(
        invoice=invoice, actor=None, reason="Goodwill", amount=D(amount), credit_date=on
    )


def refund(pay, amount: str, on: date):
    return refund_payment(
        payment=pay, amount=D(amount), actor=None, reference="RF-1", reason="Overpaid",
        refund_date=on,
    )  # fmt: skip


def fx(currency: str, rate: str, on: date, reporting: str = "USD") -> FxRate:
    return FxRate.objects.create(
        currency=currency, reporting_currency=reporting, rate_date=on, rate=D(rate)
    )


@dataclass
class Book:
    account: object
    a: Invoice
    b: Invoice
    c: Invoice
    d: Invoice
    p1: object
    p2: object
    application_d: object


def worked_example_book() -> Book:
    """Acme, USD, all due-date aged (see test_aging.py for the figures):

    - D 3,000.00 dated 2025-10-01, net 30 -> due 2025-10-31
    - A 1,000.00 dated 2026-01-05, net 30 -> due 2026-02-04
    - B 2,000.00 dated 2026-02-10, net 30 -> due 2026-03-12
    - C   500.00 dated 2026-03-20, net 15 -> due 2026-04-04
    - P1 1,500.00 received 2026-02-20; 600.00 applied to A that day (900.00 unapplied)
    - credit note 300.00 on B dated 2026-03-01
    - P2 1,000.00 received 2026-03-05, applied to D that day
    """
    account = AccountFactory(legal_name="Acme Corp")
    d = issued_invoice(account, "3000.00", date(2025, 10, 1))
    a = issued_invoice(account, "1000.00", date(2026, 1, 5))
    b = issued_invoice(account, "2000.00", date(2026, 2, 10))
    c = issued_invoice(account, "500.00", date(2026, 3, 20), net_days=15)
    p1 = payment(account, "1500.00", date(2026, 2, 20), reference="WIRE-P1")
    apply(p1, a, "600.00", date(2026, 2, 20))
    credit(b, "300.00", date(2026, 3, 1))
    p2 = payment(account, "1000.00", date(2026, 3, 5), reference="WIRE-P2")
    application_d = apply(p2, d, "1000.00", date(2026, 3, 5))
    return Book(account, a, b, c, d, p1, p2, application_d)


def later_events(book: Book) -> None:
    """What happens after 31 March 2026:

    - 2026-04-10 the application of P2 to D is reversed (misapplied)
    - 2026-04-15 P3 2,000.00 received, 1,700.00 applied to B (B paid in full)
    - 2026-04-20 credit note 100.00 on C
    """
    reverse(book.application_d, date(2026, 4, 10))
    p3 = payment(book.account, "2000.00", date(2026, 4, 15), reference="WIRE-P3")
    apply(p3, book.b, "1700.00", date(2026, 4, 15))
    credit(book.c, "100.00", date(2026, 4, 20))


pytestmark = pytest.mark.django_db


def test_the_book_builds_through_the_billing_services():
    book = worked_example_book()
    for invoice in (book.a, book.b, book.c, book.d):
        invoice.refresh_from_db()
        assert invoice.status == "issued" and invoice.number
    assert book.c.due_date == date(2026, 4, 4)
    assert book.a.open_amount == D("400.00")
