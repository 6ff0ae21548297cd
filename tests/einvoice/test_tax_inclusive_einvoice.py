"""E-invoices of tax-inclusive invoices: EN 16931 line amounts (BT-131) are net, and the
totals add up (BT-106 = sum of lines, BT-109 + BT-110 = BT-112 = the gross agreed). Checked
with the same official XSD and schematron as tests/einvoice/test_einvoice_documents.py."""

from decimal import Decimal

import pytest
from lxml import etree

from billing.einvoice import render_einvoice
from billing.einvoice.validation import validate
from billing.services import void_invoice
from tests.einvoice.conftest import german_buyer, issued
from tests.factories import ProductFactory, line_input, seller_rounds_tax

pytestmark = pytest.mark.django_db
D = Decimal
CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
SYNTAXES = ["facturx-xml", "ubl", "xrechnung"]


def inclusive(rule: str):
    """Three lines of 10.00 EUR gross at 19 %: per line 3 x (8.40 + 1.60); per rate
    net 25.21, tax 4.79 (8.40+1.60, 8.40+1.60, 8.41+1.59). Both total 30.00."""
    product = ProductFactory()
    seller_rounds_tax(rule)
    return issued(
        german_buyer(),
        prices_include_tax=True,
        lines=[line_input(product, quantity=D(1), unit_price=D("10.00")) for _ in range(3)],
    )


def assert_valid(xml: bytes, syntax: str) -> None:
    report = validate(xml, syntax)
    assert report.xsd_errors == []
    assert report.failed_rules == []
    assert report.rules_checked > 20


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("rule", ["line", "total"])
def test_a_tax_inclusive_invoice_validates_with_net_lines_and_totals_that_add_up(
    german_seller, rule, syntax
):
    invoice = inclusive(rule)
    assert invoice.total_amount == D("30.00")
    xml = render_einvoice(document=invoice, syntax=syntax)[2]
    assert_valid(xml, syntax)
    net, tax = ("25.20", "4.80") if rule == "line" else ("25.21", "4.79")
    if syntax == "ubl":
        assert (
            f'<cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount>'.encode()
            in xml
        )
        assert f'<cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>'.encode() in xml
        assert b'<cbc:PayableAmount currencyID="EUR">30.00</cbc:PayableAmount>' in xml
    else:
        root = etree.fromstring(xml)
        lines = root.xpath(
            "//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount/text()", namespaces=CII
        )
        expected = ["8.40"] * 3 if rule == "line" else ["8.40", "8.40", "8.41"]
        assert lines == expected  # BT-131: net
        assert root.xpath("//ram:TaxBasisTotalAmount/text()", namespaces=CII) == [net]
        assert root.xpath("//ram:GrandTotalAmount/text()", namespaces=CII) == ["30.00"]


@pytest.mark.parametrize("syntax", ["facturx-xml", "ubl"])
def test_the_credit_note_voiding_a_tax_inclusive_invoice_validates(german_seller, syntax):
    invoice = inclusive("total")
    note = void_invoice(invoice=invoice, actor=None, reason="Wrong buyer")
    assert (note.subtotal_amount, note.tax_amount) == (D("25.21"), D("4.79"))
    assert_valid(render_einvoice(document=note, syntax=syntax)[2], syntax)
