"""E-invoice files (Factur-X PDF, XRechnung, UBL) of issued invoices and credit notes.

Like the PDF, an e-invoice is a legal document: rendered once, on first request, kept
with its SHA-256, and served as kept from then on.
"""

from django.db import models

from .invoices import CreditNote, Invoice


class EInvoiceSyntax(models.TextChoices):
    FACTURX_PDF = "facturx-pdf", "Factur-X / ZUGFeRD PDF (EN 16931)"
    FACTURX_XML = "facturx-xml", "Factur-X CII XML (EN 16931)"
    XRECHNUNG = "xrechnung", "XRechnung 3.0 (CII)"
    UBL = "ubl", "UBL 2.1 / Peppol BIS Billing 3.0"


class EInvoiceFile(models.Model):
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="einvoice_files"
    )
    credit_note = models.ForeignKey(
        CreditNote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="einvoice_files",
    )
    syntax = models.CharField(max_length=12, choices=EInvoiceSyntax.choices)
    filename = models.CharField(max_length=120)
    content_type = models.CharField(max_length=40)
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(invoice__isnull=True) ^ models.Q(credit_note__isnull=True),
                name="einvoice_of_one_document",
            ),
            models.UniqueConstraint(
                fields=["invoice", "syntax"],
                condition=models.Q(invoice__isnull=False),
                name="one_einvoice_per_invoice_syntax",
            ),
            models.UniqueConstraint(
                fields=["credit_note", "syntax"],
                condition=models.Q(credit_note__isnull=False),
                name="one_einvoice_per_credit_note_syntax",
            ),
        ]

    def __str__(self) -> str:
        return self.filename
