"""Every invoice and credit note of the demo book, loaded as `make demo` loads it, yields
e-invoices in every syntax that pass the bundled EN 16931 XSDs and schematrons with zero
failed rules, and the demo's sellers and customers have complete structured party data."""

from io import StringIO

import pytest
from django.core.management import call_command

from billing.einvoice import render_einvoice
from billing.models import CreditNote, Invoice, InvoiceStatus
from core.errors import DomainValidationError

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

SYNTAXES = ("facturx-xml", "xrechnung", "ubl")


def test_every_document_of_the_demo_book_validates_in_every_syntax(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    # The loaders of scripts/demo.sh that issue documents, with its (default) sizes.
    call_command("load_demo_data")
    call_command("load_billing_demo")
    call_command("load_usage_demo")
    out = StringIO()
    call_command("party_data_report", stdout=out)
    assert out.getvalue().strip() == "0 record(s) need structured party data."
    invoices = list(Invoice.objects.filter(status=InvoiceStatus.ISSUED).order_by("number"))
    notes = list(CreditNote.objects.order_by("number"))
    assert len(invoices) > 1000 and notes
    assert {"US", "DE"} <= {invoice.account.billing_country for invoice in invoices}
    assert any(invoice.number.startswith("CLD-") for invoice in invoices)  # usage demo
    failures = []
    for document in invoices + notes:
        for syntax in SYNTAXES:
            # render_einvoice checks the XSD and the schematron before it stores anything
            # and refuses, naming the first failed rule, what does not pass.
            try:
                render_einvoice(document=document, syntax=syntax)
            except DomainValidationError as error:
                failures.append((document.number, syntax, error.message))
    assert failures == []
    # Factur-X PDFs for a sample (each renders a PDF/A-3 with WeasyPrint).
    for document in invoices[:2] + notes[:2]:
        assert render_einvoice(document=document, syntax="facturx-pdf")[2].startswith(b"%PDF")
