"""Customer-facing documents: invoice and credit-note PDFs."""

from .pdf import (
    StoredDocumentAltered,
    credit_note_pdf_bytes,
    credit_note_pdf_download,
    invoice_pdf_bytes,
    invoice_pdf_download,
    read_stored_invoice_pdf,
    store_credit_note_pdf,
    store_invoice_pdf,
)

__all__ = [
    "StoredDocumentAltered",
    "credit_note_pdf_bytes",
    "credit_note_pdf_download",
    "invoice_pdf_bytes",
    "invoice_pdf_download",
    "read_stored_invoice_pdf",
    "store_credit_note_pdf",
    "store_invoice_pdf",
]
