"""Issued invoices with the due date a test needs, payments, and a policy to test with.

Invoices are drafted directly (one line, no contract) and issued through the billing
service with NET30 terms, so their due date is exactly the one asked for."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.models import DocumentType, Invoice, InvoiceLine, LegalEntity
from billing.services import apply_payment, issue_invoice, record_payment
from billing.services.invoicing import last_document_date
from collections_app.models import DunningPolicy, DunningStep
from tests.factories import AccountFactory, ContactFactory, LegalEntityFactory


def legal_entity() -> LegalEntity:
    return LegalEntity.objects.filter(is_default=True).first() or LegalEntityFactory()


def seller_for(invoice_date: date) -> LegalEntity:
    """The default seller if its series can take `invoice_date`, else a branch of its own:
    these books issue invoices out of date order, and numbers follow dates per series."""
    default = legal_entity()
    last = last_document_date(
        legal_entity=default, document_type=DocumentType.INVOICE, year=invoice_date.year
    )
    if last is None or invoice_date >= last:
        return default
    branches = LegalEntity.objects.filter(is_default=False, name__startswith="Branch ")
    for branch in branches:
        last = last_document_date(
            legal_entity=branch, document_type=DocumentType.INVOICE, year=invoice_date.year
        )
        if last is None or invoice_date >= last:
            return branch
    n = branches.count() + 1
    return LegalEntityFactory(
        name=f"Branch {n}", is_default=False, invoice_prefix=f"BR{n}-",
        credit_note_prefix=f"BR{n}CN-",
    )  # fmt: skip


def customer(name: str | None = None, *, contacts: int = 1, **fields):
    account = AccountFactory(**({"legal_name": name} if name else {}), **fields)
    for _ in range(contacts):
        ContactFactory(account=account)
    return account


def issued_invoice(
    *,
    due: date,
    account=None,
    total: Decimal | str = "1000.00",
    currency: str = "USD",
) -> Invoice:
    account = account or customer()
    total = Decimal(total)
    invoice_date = due - timedelta(days=30)
    draft = Invoice.objects.create(
        legal_entity=seller_for(invoice_date),
        account=account,
        currency=currency,
        invoice_date=invoice_date,
        due_date=due,
        payment_terms="NET30",
        buyer_name=account.legal_name,
        subtotal_amount=total,
        total_amount=total,
    )
    InvoiceLine.objects.create(
        invoice=draft,
        position=1,
        description="Platform subscription",
        quantity=Decimal("1"),
        unit_price=total,
        amount=total,
    )
    # The draft carries its own date, as a billing run's does.
    return issue_invoice(invoice=draft, actor=None)


def pay(invoice: Invoice, amount: Decimal | str, *, on: date, actor=None):
    amount = Decimal(amount)
    payment = record_payment(
        account=invoice.account,
        amount=amount,
        currency=invoice.currency,
        received_date=on,
        method="wire",
        reference=f"WIRE-{invoice.pk}-{on:%m%d}",
        actor=actor,
    )
    return apply_payment(
        payment=payment, invoice=invoice, amount=amount, actor=actor, applied_date=on
    )


def default_policy() -> DunningPolicy:
    return DunningPolicy.objects.get(is_default=True)


def policy(name: str, offsets: list[int], *, min_contact_days: int = 0, call_at=None):
    """A policy of e-mail steps at these offsets (and a call step, if call_at)."""
    created = DunningPolicy.objects.create(name=name, min_contact_days=min_contact_days)
    for offset in offsets:
        DunningStep.objects.create(
            policy=created,
            offset_days=offset,
            subject_template="{{ invoice_number }} step " + f"{offset:+d}",
            body_template="Hello {{ customer }}, {{ amount_due }} due {{ due_date }}.",
        )
    if call_at is not None:
        DunningStep.objects.create(policy=created, offset_days=call_at, action="call")
    return created


# --- Fixtures (imported by the dunning test modules; not autouse for the whole folder) ---

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def dunning_mail(settings, tmp_path):
    """Django's in-memory mail backend: the mail server is the network edge."""
    settings.EMAIL_BACKEND = LOCMEM
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DEFAULT_FROM_EMAIL = "billing@ledgerline.example"


@pytest.fixture
def no_issue_hooks(monkeypatch):
    """Issuing test invoices must not queue their own delivery e-mail (and PDF)."""
    monkeypatch.setattr("billing.services.invoicing.ON_ISSUE", [])
