"""E-invoices of issued invoices and credit notes: Factur-X/ZUGFeRD PDF (EN 16931),
XRechnung 3.0 (CII) and UBL 2.1 / Peppol BIS Billing 3.0.

`render_einvoice(document=..., syntax=...)` is the one entry point for pages, the API,
e-mail delivery (and later the customer portal): it returns (filename, content type,
bytes) of the document's e-invoice, rendered once on first request and kept, like the
PDF. The Factur-X PDF carries exactly the stored `facturx-xml` document.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from billing.error_codes import BillingError
from billing.models import CreditNote, EInvoiceFile, EInvoiceSyntax, Invoice, InvoiceStatus
from core.errors import DomainValidationError

from .build import facturx_pdf, facturx_xml, ubl_xml, xrechnung_xml
from .validation import validate

SYNTAXES = {
    EInvoiceSyntax.FACTURX_PDF: ("pdf", "application/pdf"),
    EInvoiceSyntax.FACTURX_XML: ("factur-x.xml", "application/xml"),
    EInvoiceSyntax.XRECHNUNG: ("xrechnung.xml", "application/xml"),
    EInvoiceSyntax.UBL: ("ubl.xml", "application/xml"),
}

__all__ = ["SYNTAXES", "render_einvoice"]


def _owner(document: Invoice | CreditNote) -> dict:
    if isinstance(document, Invoice):
        return {"invoice": document}
    return {"credit_note": document}


def _content(document: Invoice | CreditNote, syntax: str) -> bytes:
    if syntax == EInvoiceSyntax.FACTURX_PDF:
        _name, _type, xml = render_einvoice(document=document, syntax=EInvoiceSyntax.FACTURX_XML)
        return facturx_pdf(document, xml)
    builders = {
        EInvoiceSyntax.FACTURX_XML: facturx_xml,
        EInvoiceSyntax.XRECHNUNG: xrechnung_xml,
        EInvoiceSyntax.UBL: ubl_xml,
    }
    xml = builders[syntax](document)
    report = validate(xml, syntax)
    if not report.valid:
        # Never store or serve a document the official rules reject; say which rule.
        raise DomainValidationError(
            field="__all__",
            code=BillingError.EINVOICE_INVALID,
            message=f"The {syntax} e-invoice of {document.number} fails the EN 16931 "
            f"checks: {(report.xsd_errors + report.failed_rules)[0][:300]}",
        )
    return xml


def render_einvoice(*, document: Invoice | CreditNote, syntax: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of an issued invoice's or a credit note's
    e-invoice. Refuses drafts, unknown syntaxes and documents missing data an e-invoice
    needs (`DomainValidationError` naming the field); nothing is stored then."""
    if syntax not in SYNTAXES:
        raise DomainValidationError(
            field="syntax",
            code=BillingError.UNSUPPORTED_FORMAT,
            message=f"Unknown e-invoice format {syntax!r}; use one of {', '.join(SYNTAXES)}.",
        )
    if isinstance(document, Invoice) and document.status == InvoiceStatus.DRAFT:
        raise DomainValidationError(
            field="status",
            code=BillingError.NOT_ISSUED,
            message="A draft invoice has no e-invoice; it gets one when it is issued.",
        )
    stored = EInvoiceFile.objects.filter(syntax=syntax, **_owner(document)).first()
    if stored is None:
        suffix, content_type = SYNTAXES[syntax]
        content = _content(document, syntax)
        try:
            with transaction.atomic():
                stored = EInvoiceFile.objects.create(
                    syntax=syntax,
                    filename=f"{document.number}.{suffix}"
                    if syntax == EInvoiceSyntax.FACTURX_PDF
                    else f"{document.number}-{suffix}",
                    content_type=content_type,
                    content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                    **_owner(document),
                )
        except IntegrityError:  # rendered at the same moment elsewhere: serve that one
            stored = EInvoiceFile.objects.get(syntax=syntax, **_owner(document))
    return stored.filename, stored.content_type, bytes(stored.content)
