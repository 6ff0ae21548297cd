"""The tax rounding rule is the seller's (LegalEntity.tax_rounding), and a per-rate seller's
e-invoices pass EN 16931's check that each VAT category's tax is its base times its rate
rounded once (BR-CO-17, BR-S-09), where per-line rounding fails it.

Worked example (JPY has no minor unit): 12 lines of 1,005 JPY at Japan's 10 %.
  per line: each line's tax round(100.5) = 101, x 12          = 1,212 JPY
  per rate: round(12 x 1,005 x 10 %) = round(1,206.0)         = 1,206 JPY
EN 16931 allows the category tax to differ from base x rate by less than one currency
unit; 1,212 is 6 yen off, so the per-line invoice can't be sent as an e-invoice."""

import importlib
from datetime import date
from decimal import Decimal

import pytest

from billing.einvoice import render_einvoice
from billing.einvoice.build import facturx_xml, ubl_xml, xrechnung_xml
from billing.einvoice.validation import validate
from billing.models import BillingRun, Invoice, LegalEntity
from billing.services import (
    execute_billing_run,
    issue_credit_note,
    issue_invoice,
    queue_billing_run,
)
from core.errors import DomainValidationError
from tests.einvoice.conftest import GERMAN_SELLER, rate
from tests.factories import ProductFactory, active_contract, billable_account, line_input

pytestmark = pytest.mark.django_db
D = Decimal
SYNTAXES = {"facturx-xml": facturx_xml, "xrechnung": xrechnung_xml, "ubl": ubl_xml}
LINES, PRICE = 12, D("1005")

JAPANESE_SELLER = {
    "name": "Ledgerline Japan K.K.",
    "address": "1-1-2 Otemachi, Chiyoda-ku\nTokyo 100-0004\nJapan",
    "address_line1": "1-1-2 Otemachi",
    "city": "Chiyoda-ku, Tokyo",
    "postal_code": "100-0004",
    "country": "JP",
    "company_id": "T1010001000000",  # qualified invoice issuer number (BT-32)
    "remit_to": "MUFG Bank, account 1234567, SWIFT BOTKJPJT",
    "bank_account_number": "1234567",
    "bic": "BOTKJPJT",
    "email": "billing-jp@ledgerline.example",
    "invoice_prefix": "JP-",
    "credit_note_prefix": "JPCN-",
}
US_SELLER = {
    "name": "Ledgerline Inc.",
    "address": "500 Howard Street\nSan Francisco, CA 94105\nUnited States",
    "address_line1": "500 Howard Street",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
    "company_id": "94-3154823",
    "remit_to": "First Demo Bank, account 1234567890",
    "bank_account_number": "1234567890",
    "email": "billing@ledgerline.example",
    "invoice_prefix": "US-",
    "credit_note_prefix": "USCN-",
}


def japanese_buyer():
    rate("JP", "10")
    return billable_account(
        legal_name="Sakura Robotics K.K.",
        billing_address_line1="2-4-1 Marunouchi",
        billing_city="Chiyoda-ku, Tokyo",
        billing_postal_code="100-6390",
        billing_country="JP",
        buyer_reference="SR-PO-2026",
        default_currency="JPY",
    )


def bill_many_yen_lines(account, run_date=date(2026, 1, 1)) -> Invoice:
    """The account's new contract of 12 annual lines of 1,005 JPY, billed and issued by
    the default seller."""
    product = ProductFactory()
    active_contract(
        account=account,
        currency="JPY",
        lines=[line_input(product, quantity=D(1), unit_price=PRICE) for _ in range(LINES)],
    )
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    (draft,) = Invoice.objects.filter(status="draft", account=account)
    return issue_invoice(invoice=draft, actor=None)


def failed_rule_ids(xml: bytes, syntax: str) -> set[str]:
    report = validate(xml, syntax)
    assert report.xsd_errors == []
    assert report.rules_checked > 20
    return {rule.split(":")[0] for rule in report.failed_rules}


def test_a_new_seller_rounds_per_rate_unless_it_is_set_to_per_line():
    seller = LegalEntity.objects.create(**JAPANESE_SELLER, is_default=True)
    assert seller.tax_rounding == "total"


def test_per_rate_the_yen_invoice_taxes_1206_and_validates_in_every_syntax():
    LegalEntity.objects.create(**JAPANESE_SELLER, is_default=True)
    invoice = bill_many_yen_lines(japanese_buyer())
    taxes = [line.tax_amount for line in invoice.lines.all()]
    assert (invoice.tax_rounding, len(taxes)) == ("total", LINES)
    assert invoice.subtotal_amount == LINES * PRICE == D("12060")
    assert invoice.tax_amount == sum(taxes) == D("1206")  # round(12,060 x 10 %) once
    assert set(taxes) <= {D("100"), D("101")}  # 1,206 shared over the lines, none lost
    for syntax, build in SYNTAXES.items():
        assert failed_rule_ids(build(invoice), syntax) == set()
        # The stored e-invoice is the one the entry point checks and serves.
        assert render_einvoice(document=invoice, syntax=syntax)[2].startswith(b"<?xml")


def test_per_line_the_same_invoice_taxes_1212_and_fails_br_co_17_alone():
    LegalEntity.objects.create(**JAPANESE_SELLER, is_default=True, tax_rounding="line")
    invoice = bill_many_yen_lines(japanese_buyer())
    assert (invoice.tax_rounding, invoice.tax_amount) == ("line", D("1212"))  # 12 x 101
    for syntax, build in SYNTAXES.items():
        # The category tax (1,212) is 6 yen from 12,060 x 10 %: only the rounding rules
        # fail, so the rule is the whole difference.
        assert failed_rule_ids(build(invoice), syntax) == {"BR-CO-17", "BR-S-09"}
        with pytest.raises(DomainValidationError) as refused:
            render_einvoice(document=invoice, syntax=syntax)
        assert refused.value.code == "einvoice_invalid"
    assert not invoice.einvoice_files.exists()


def test_two_sellers_round_by_their_own_rule_on_one_database_and_credit_notes_follow():
    # A German seller (per rate, the default rule) bills first; then a US seller that
    # rounds per line becomes the default and bills the same yen lines. Each invoice and
    # each credit note keeps its seller's rule.
    german = LegalEntity.objects.create(**GERMAN_SELLER)
    buyer = japanese_buyer()
    first = bill_many_yen_lines(buyer)
    german.is_default = False
    german.save(update_fields=["is_default"])
    american = LegalEntity.objects.create(**US_SELLER, tax_rounding="line", is_default=True)
    second = bill_many_yen_lines(buyer, run_date=date(2026, 2, 1))
    assert (first.legal_entity, first.tax_rounding, first.tax_amount) == (
        german,
        "total",
        D("1206"),
    )
    assert (second.legal_entity, second.tax_rounding, second.tax_amount) == (
        american,
        "line",
        D("1212"),
    )
    # A service credit of 1,327 JPY gross, spread over the twelve lines, is split per
    # rate as the invoice was: net round(1,327 / 1.1) = 1,206, tax 121, within a yen of
    # 1,206 x 10 % = 120.6.
    note = issue_credit_note(
        invoice=first, actor=None, reason="Service credit: outage (SLA)", amount=D("1327")
    )
    assert (note.subtotal_amount, note.tax_amount) == (D("1206"), D("121"))
    assert abs(note.tax_amount - note.subtotal_amount * D("0.1")) < 1
    for syntax, build in SYNTAXES.items():
        assert failed_rule_ids(build(first), syntax) == set()
        assert failed_rule_ids(build(note), syntax) == set()
        assert "BR-CO-17" in failed_rule_ids(build(second), syntax)
    german.refresh_from_db()
    american.refresh_from_db()
    assert (german.tax_rounding, american.tax_rounding) == ("total", "line")


@pytest.mark.parametrize("setting", ["line", "total"])
def test_the_migration_moves_eu_japanese_and_e_invoicing_sellers_to_per_rate(settings, setting):
    # Existing sellers: an EU or Japanese seller, or one whose invoices can go out as
    # e-invoices (a Peppol endpoint, structured party data), rounds per rate from now on;
    # a seller known only by free text keeps what the retired LEDGERLINE_TAX_ROUNDING
    # setting gave it.
    from django.apps import apps

    settings.LEDGERLINE_TAX_ROUNDING = setting
    sellers = {
        "de": {**GERMAN_SELLER, "is_default": False},
        "jp": JAPANESE_SELLER,
        "us_peppol": {**US_SELLER, "peppol_endpoint_id": "0060:123456789", "email": ""},
        "us": US_SELLER,
        "us_text": {
            "name": "Ledgerline Services Inc.",
            "address": "1 Main Street\nAustin, TX 78701\nUnited States",
            "remit_to": "Bank of Texas, account 55",
            "invoice_prefix": "TX-",
            "credit_note_prefix": "TXCN-",
        },
    }
    made = {
        key: LegalEntity.objects.create(**fields, tax_rounding="line")
        for key, fields in sellers.items()
    }
    module = importlib.import_module("billing.migrations.0115_legalentity_tax_rounding")
    module.seller_rules(apps, None)
    rules = {key: LegalEntity.objects.get(pk=e.pk).tax_rounding for key, e in made.items()}
    assert rules == {
        "de": "total",
        "jp": "total",
        "us_peppol": "total",
        "us": "total",
        "us_text": setting,
    }
