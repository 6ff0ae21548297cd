"""E-invoices of issued invoices and credit notes: Factur-X/ZUGFeRD PDF (EN 16931),
XRechnung 3.0 (CII) and UBL 2.1 / Peppol BIS Billing 3.0.

`render_einvoice(document=..., syntax=...)` is the one entry point for pages, the API,
e-mail delivery and the customer portal: it returns (filename, content type, bytes) of
the document's e-invoice, rendered once on first request and kept, like the PDF.
`render_einvoices(document=..., syntaxes=[...])` does the same for several syntaxes of
one document, reading its data once. The Factur-X PDF carries exactly the stored
`facturx-xml` document.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from billing.error_codes import BillingError
from billing.models import CreditNote, EInvoiceFile, EInvoiceSyntax, Invoice, InvoiceStatus
from core.errors import DomainValidationError

from .build import facturx_pdf, facturx_xml, ubl_xml, xrechnung_xml
from .data import einvoice_data
from .validation import validate

SYNTAXES = {
    EInvoiceSyntax.FACTURX_PDF: ("pdf", "application/pdf"),
    EInvoiceSyntax.FACTURX_XML: ("factur-x.xml", "application/xml"),
    EInvoiceSyntax.XRECHNUNG: ("xrechnung.xml", "application/xml"),
    EInvoiceSyntax.UBL: ("ubl.xml", "application/xml"),
}

__all__ = ["SYNTAXES", "render_einvoice", "render_einvoices"]


def _owner(document: Invoice | CreditNote) -> dict:
    if isinstance(document, Invoice):
        return {"invoice": document}
    return {"credit_note": document}


def _refuse(document: Invoice | CreditNote, syntaxes) -> None:
    for syntax in syntaxes:
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


class _Render:
    """One document's e-invoices in one call: its EN 16931 data read once (on the first
    syntax not yet stored), its CII built once for Factur-X and XRechnung."""

    def __init__(self, document: Invoice | CreditNote, syntaxes) -> None:
        self.document = document
        wanted = set(syntaxes)
        if EInvoiceSyntax.FACTURX_PDF in wanted:
            wanted.add(EInvoiceSyntax.FACTURX_XML)  # the PDF carries the stored CII
        self.stored = {
            stored.syntax: stored
            for stored in EInvoiceFile.objects.filter(syntax__in=wanted, **_owner(document))
        }
        self._data = None
        self._cii = None  # the CII built in this call (never a stored one) from _data

    def data(self) -> dict:
        if self._data is None:
            self._data = einvoice_data(self.document)
        return self._data

    def xml(self, syntax: str) -> bytes:
        if syntax == EInvoiceSyntax.FACTURX_XML:
            self._cii = self._cii or facturx_xml(self.document, self.data())
            return self._cii
        if syntax == EInvoiceSyntax.XRECHNUNG:
            return xrechnung_xml(self.document, self.data(), cii=self._cii)
        return ubl_xml(self.document, self.data())

    def content(self, syntax: str) -> bytes:
        document = self.document
        if syntax == EInvoiceSyntax.FACTURX_PDF:
            return facturx_pdf(document, bytes(self.file(EInvoiceSyntax.FACTURX_XML).content))
        xml = self.xml(syntax)
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

    def file(self, syntax: str) -> EInvoiceFile:
        if syntax in self.stored:
            return self.stored[syntax]
        document = self.document
        suffix, content_type = SYNTAXES[syntax]
        content = self.content(syntax)
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
        self.stored[syntax] = stored
        return stored


def render_einvoices(
    *, document: Invoice | CreditNote, syntaxes
) -> dict[str, tuple[str, str, bytes]]:
    """{syntax: (filename, content type, bytes)} of one document in several syntaxes,
    each rendered, checked and stored exactly as `render_einvoice` does, the document's
    data read once for all. Refuses as `render_einvoice` would, at the first syntax (in
    the order given) that cannot be made; the ones before it are stored."""
    _refuse(document, syntaxes)
    render = _Render(document, syntaxes)
    files = {syntax: render.file(syntax) for syntax in syntaxes}
    return {
        syntax: (stored.filename, stored.content_type, bytes(stored.content))
        for syntax, stored in files.items()
    }


def render_einvoice(*, document: Invoice | CreditNote, syntax: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of an issued invoice's or a credit note's
    e-invoice. Refuses drafts, unknown syntaxes and documents missing data an e-invoice
    needs (`DomainValidationError` naming the field); nothing is stored then."""
    return render_einvoices(document=document, syntaxes=[syntax])[syntax]
