"""Sellers and buyers with complete structured party data, and issued documents made
through the billing services (billing run, issue, credit note)."""

from datetime import date
from decimal import Decimal

import pytest

from billing.models import BillingRun, Invoice, LegalEntity
from billing.services import execute_billing_run, issue_invoice, queue_billing_run
from tests.factories import TaxRateFactory, active_contract, billable_account

GERMAN_SELLER = {
    "name": "Ledgerline Europe GmbH",
    "address": "Friedrichstraße 68\n10117 Berlin\nGermany",
    "address_line1": "Friedrichstraße 68",
    "city": "Berlin",
    "postal_code": "10117",
    "country": "DE",
    "vat_id": "DE136695976",
    "company_id": "Berlin (Charlottenburg) HRB 123456",
    "tax_id": "DE136695976",
    "remit_to": "Commerzbank, IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX",
    "iban": "DE89370400440532013000",
    "bic": "COBADEFFXXX",
    "bank_name": "Commerzbank",
    "email": "billing@ledgerline.example",
    "phone": "+49 30 1234567",
    "invoice_prefix": "RE-",
    "credit_note_prefix": "GS-",
    "is_default": True,
}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def german_seller(db) -> LegalEntity:
    return LegalEntity.objects.create(**GERMAN_SELLER)


def rate(country: str, percent: str, **kwargs) -> None:
    """The country's one tax rate (billable_account adds a 0 % one where none exists)."""
    from billing.models import TaxRate

    if not TaxRate.objects.filter(country=country).exists():
        TaxRateFactory(country=country, percent=Decimal(percent), **kwargs)


def german_buyer(**overrides):
    rate("DE", "19")
    values = {
        "legal_name": "Muster Maschinenbau AG",
        "billing_address_line1": "Königsallee 92a",
        "billing_city": "Düsseldorf",
        "billing_postal_code": "40212",
        "billing_country": "DE",
        "vat_id": "DE811569869",
        "buyer_reference": "04011000-12345-34",
        "default_currency": "EUR",
    }
    values.update(overrides)
    return billable_account(**values)


def issued(account, **terms) -> Invoice:
    """Bills the account's one contract (10 seats x 1,200.00 a year) on 1 Jan 2026 and
    issues the draft."""
    terms.setdefault("currency", account.default_currency)
    active_contract(account=account, **terms)
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    (draft,) = Invoice.objects.filter(status="draft", account=account)
    return issue_invoice(invoice=draft, actor=None)
