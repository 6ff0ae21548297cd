"""E-invoice XML and PDF from the EN 16931 terms in `data.py`, built by the `factur-x`
library (Akretion): CII for Factur-X/ZUGFeRD (EN 16931 profile) and XRechnung, UBL 2.1
for Peppol BIS Billing 3.0; the Factur-X PDF is our invoice PDF rendered as PDF/A-3b by
WeasyPrint, with the CII attached as `factur-x.xml` and the Factur-X XMP metadata.

The library's own schematron check posts to a Saxon web server; we switch it off and
check with SaxonC in-process instead (`validation.py`, run by the tests). The XSD check
of the library runs on every build: a document that does not fit the schema is never
returned.
"""

from __future__ import annotations

import copy

from lxml import etree

from billing.documents.pdf import credit_note_pdf_bytes, invoice_pdf_bytes
from billing.models import CreditNote, Invoice

from .data import einvoice_data

XRECHNUNG_ID = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
PEPPOL_BIS_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
CII_GUIDELINE = (
    "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}ExchangedDocumentContext/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
    "GuidelineSpecifiedDocumentContextParameter/"
    "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}ID"
)
UBL_CUSTOMIZATION = (
    "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}CustomizationID"
)


def _serialize(root) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _generate(document: Invoice | CreditNote, flavor: str, data: dict | None = None) -> bytes:
    from facturx import generate_xml

    data = copy.deepcopy(data if data is not None else einvoice_data(document))
    # No checks here: `render_einvoice` runs the XSD (compiled once) and the schematron on
    # every document it stores; factur-x's own XSD check recompiles the schema each call.
    return generate_xml(
        data, flavor=flavor, level="en16931", check_xsd=False, check_schematron=False
    )


def facturx_xml(document: Invoice | CreditNote, data: dict | None = None) -> bytes:
    """CII, Factur-X 1.07 / ZUGFeRD 2.3 EN 16931 profile (BT-24 urn:cen.eu:en16931:2017).
    `data`: the document's `einvoice_data`, when already read (for several syntaxes)."""
    return _generate(document, "factur-x", data)


def xrechnung_xml(
    document: Invoice | CreditNote, data: dict | None = None, cii: bytes | None = None
) -> bytes:
    """CII with the XRechnung 3.0 specification identifier; BT-10 (buyer reference,
    Leitweg-ID) is required. `cii`: the document's `facturx_xml` when already built from
    the same data (the XRechnung is that CII with another BT-24)."""
    from billing.error_codes import BillingError
    from core.errors import DomainValidationError

    data = data if data is not None else einvoice_data(document)  # checked and built from
    if "BT-10" not in data:
        raise DomainValidationError(
            field="buyer_reference",
            code=BillingError.EINVOICE_DATA_MISSING,
            message="XRechnung needs the buyer reference (Leitweg-ID or the buyer's "
            "reference) on the account.",
        )
    root = etree.fromstring(cii if cii is not None else _generate(document, "factur-x", data))
    root.find(CII_GUIDELINE).text = XRECHNUNG_ID
    return _serialize(root)


def ubl_xml(document: Invoice | CreditNote, data: dict | None = None) -> bytes:
    """UBL 2.1 Invoice or CreditNote, Peppol BIS Billing 3.0 identifiers."""
    root = etree.fromstring(_generate(document, "ubl-2.1", data))
    root.find(UBL_CUSTOMIZATION).text = PEPPOL_BIS_ID
    return _serialize(root)


def facturx_pdf(document: Invoice | CreditNote, xml: bytes | None = None) -> bytes:
    """The document's PDF as PDF/A-3b with the CII attached (Factur-X EN 16931)."""
    from facturx import generate_from_binary

    xml = xml if xml is not None else facturx_xml(document)
    if isinstance(document, Invoice):
        pdf = invoice_pdf_bytes(document, pdf_variant="pdf/a-3b")
    else:
        pdf = credit_note_pdf_bytes(document, pdf_variant="pdf/a-3b")
    return generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=True, lang="en-US"
    )
