import hashlib
import logging
import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from pypdf import PdfReader

from billing.documents.pdf import (
    StoredDocumentAltered,
    credit_note_pdf_bytes,
    credit_note_pdf_download,
    invoice_pdf_bytes,
    invoice_pdf_download,
    store_invoice_pdf,
)
from billing.models import BillingRun, CreditNote, Invoice, InvoiceLine, LegalEntity
from billing.services import (
    create_corrected_invoice,
    execute_billing_run,
    issue_credit_note,
    issue_invoice,
    queue_billing_run,
    void_invoice,
)
from core.errors import DomainValidationError
from tests.factories import (
    LegalEntityFactory,
    ProductFactory,
    TaxRateFactory,
    active_contract,
    billable_account,
    line_input,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def drafts(run_date=date(2026, 1, 1)) -> list[Invoice]:
    run = queue_billing_run(run_date=run_date, actor=None)
    execute_billing_run(run=BillingRun.objects.get(pk=run.pk))
    return list(Invoice.objects.filter(status="draft").order_by("id"))


def draft_invoice(**contract_terms) -> Invoice:
    active_contract(**contract_terms)
    (invoice,) = drafts()
    return invoice


def issued_invoice(**contract_terms) -> Invoice:
    return issue_invoice(invoice=draft_invoice(**contract_terms), actor=None)


def pages(pdf: bytes) -> list[str]:
    """Each page's text with whitespace runs folded to one space."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(pdf)).pages]


def dutch_invoice() -> Invoice:
    """NL buyer at 21% VAT, with a PO number: 10 x 1,200.00 = 12,000.00 + 2,520.00 tax."""
    TaxRateFactory(country="NL", percent=Decimal("21"))
    account = billable_account(
        billing_country="NL",
        legal_name="Acme Nederland B.V.",
        billing_address_line1="Keizersgracht 123",
        billing_postal_code="1015 CJ",
        billing_city="Amsterdam",
        tax_id="NL123456789B01",
    )
    return issued_invoice(account=account, po_number="PO-88231")


def test_an_invoice_pdf_shows_number_dates_po_buyer_seller_and_totals():
    invoice = dutch_invoice()
    (text,) = pages(invoice_pdf_bytes(invoice))
    for expected in [
        "Invoice number INV-2026-000001",
        "Invoice date 1 Jan 2026",
        "Due date 31 Jan 2026",
        "Payment terms Net 30",
        "PO number PO-88231",
        "Acme Nederland B.V. Keizersgracht 123 1015 CJ Amsterdam NL Tax ID NL123456789B01",
        "Ledgerline Demo GmbH Hauptstrasse 1 10115 Berlin DE Tax ID DE999999999",
        "Subtotal $12,000.00",
        "Tax (21%) $2,520.00",
        "Total $14,520.00",
        "Amount due $14,520.00",
        "IBAN DE89 3704 0044 0532 0130 00",
        "Page 1 of 1",
    ]:
        assert expected in text


def test_an_invoice_line_shows_period_quantity_unit_price_discount_tax_and_amount():
    product = ProductFactory(name="Premium support")
    invoice = issued_invoice(
        lines=[
            line_input(
                product,
                quantity=Decimal(4),
                unit_price=Decimal("0.0125"),
                discount_percent=Decimal("10"),
            )
        ]
    )
    (text,) = pages(invoice_pdf_bytes(invoice))
    # The period is in its own column, not repeated in the description.
    assert "Premium support 1 Jan 2026 – 31 Dec 2026 4 $0.0125 10% 0% $0.05" in text


def test_a_long_invoice_runs_over_two_numbered_pages():
    lines = [line_input(quantity=Decimal(1), unit_price=Decimal(100)) for _ in range(60)]
    invoice = issued_invoice(lines=lines)
    first, second = pages(invoice_pdf_bytes(invoice))
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in second
    assert "Invoice INV-2026-000001 (continued)" in second
    assert "DESCRIPTION SERVICE PERIOD QTY" in second  # the header row repeats
    assert "Amount due $6,000.00" in second


def test_yen_amounts_have_no_decimals():
    invoice = issued_invoice(
        currency="JPY", lines=[line_input(quantity=Decimal(3), unit_price=Decimal("150000"))]
    )
    (text,) = pages(invoice_pdf_bytes(invoice))
    assert "Amount due ¥450,000" in text
    assert "3 ¥150,000" in text
    assert not re.search(r"¥[\d,]+\.\d", text)


def test_dinar_amounts_have_three_decimals():
    # Made by hand: a KWD contract would wait for deal desk (non-standard currency).
    account = billable_account()
    invoice = Invoice.objects.create(
        legal_entity=LegalEntityFactory(),
        account=account,
        currency="KWD",
        invoice_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        payment_terms="NET30",
        buyer_name=account.legal_name,
        subtotal_amount=Decimal("300.375"),
        total_amount=Decimal("300.375"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        description="Consulting",
        quantity=Decimal(3),
        unit_price=Decimal("100.125"),
        amount=Decimal("300.375"),
    )
    invoice = issue_invoice(invoice=invoice, actor=None)
    (text,) = pages(invoice_pdf_bytes(invoice))
    assert "Amount due KWD300.375" in text
    assert "3 KWD100.125" in text


def test_a_draft_renders_marked_draft_and_without_a_number():
    invoice = draft_invoice()
    (text,) = pages(invoice_pdf_bytes(invoice))
    assert "DRAFT" in text
    assert "Draft invoice" in text
    assert "Invoice number Assigned when issued" in text
    assert "INV-" not in text


def test_a_tax_exempt_invoice_says_so():
    account = billable_account(tax_exempt=True)
    (text,) = pages(invoice_pdf_bytes(issued_invoice(account=account)))
    assert "Tax exempt: no tax is charged on this invoice." in text
    assert "Tax (exempt) $0.00" in text


def test_a_corrected_invoice_names_the_invoice_it_replaces():
    original = issued_invoice()
    void_invoice(invoice=original, actor=None, reason="Wrong quantity")
    correction = create_corrected_invoice(original=Invoice.objects.get(pk=original.pk), actor=None)
    correction = issue_invoice(invoice=correction, actor=None)
    (text,) = pages(invoice_pdf_bytes(correction))
    assert "Replaces invoice INV-2026-000001, which is void." in text
    assert "Invoice number INV-2026-000002" in text


def test_customer_text_is_printed_literally_never_as_markup():
    account = billable_account(legal_name='Smith & <b>Sons</b> "Ltd"')
    (text,) = pages(invoice_pdf_bytes(issued_invoice(account=account)))
    assert 'Smith & <b>Sons</b> "Ltd"' in text


def test_a_credit_note_pdf_shows_its_number_the_invoice_it_credits_and_the_reason():
    invoice = dutch_invoice()
    note = issue_credit_note(
        invoice=invoice, actor=None, reason="Goodwill for the March outage", amount=Decimal("121")
    )
    (text,) = pages(credit_note_pdf_bytes(note))
    assert f"Credit note number {note.number}" in text
    assert "Credits invoice INV-2026-000001" in text
    assert "This credit note reduces the amount due on invoice INV-2026-000001." in text
    assert "Goodwill for the March outage" in text
    assert "Subtotal $100.00 Tax (21%) $21.00 Total credited $121.00" in text
    assert "Acme Nederland B.V." in text
    assert "Page 1 of 1" in text


def test_an_issued_invoice_pdf_is_stored_once_and_then_served_as_stored():
    invoice = issued_invoice()
    stored = store_invoice_pdf(invoice)
    assert stored.pdf.name == "invoices/INV-2026-000001.pdf"
    content = stored.pdf.read()
    assert stored.pdf_sha256 == hashlib.sha256(content).hexdigest()

    # The seller's details change later; the document the customer has does not.
    LegalEntity.objects.update(name="Renamed GmbH")
    again = store_invoice_pdf(Invoice.objects.get(pk=invoice.pk))
    assert (again.pdf.name, again.pdf_sha256) == (stored.pdf.name, stored.pdf_sha256)
    filename, served = invoice_pdf_download(Invoice.objects.get(pk=invoice.pk))
    assert (filename, served) == ("INV-2026-000001.pdf", content)
    assert "Renamed GmbH" not in pages(served)[0]


def test_a_stored_invoice_pdf_that_was_altered_is_refused():
    stored = store_invoice_pdf(issued_invoice())
    with open(stored.pdf.path, "ab") as document:
        document.write(b"%% appended")
    with pytest.raises(StoredDocumentAltered):
        invoice_pdf_download(Invoice.objects.get(pk=stored.pk))


def test_a_draft_is_rendered_on_demand_and_never_stored():
    invoice = draft_invoice()
    with pytest.raises(DomainValidationError) as err:
        store_invoice_pdf(invoice)
    assert (err.value.field, err.value.code) == ("status", "draft_not_stored")
    filename, content = invoice_pdf_download(invoice)
    assert filename == f"draft-invoice-{invoice.pk}.pdf"
    assert content.startswith(b"%PDF")
    assert not Invoice.objects.get(pk=invoice.pk).pdf


def test_issuing_a_credit_note_stores_its_pdf_on_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    invoice = issued_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(invoice=invoice, actor=None, reason="Goodwill", amount=Decimal(5))
    note = CreditNote.objects.get(pk=note.pk)
    assert note.pdf.name == f"credit_notes/{note.number}.pdf"
    filename, content = credit_note_pdf_download(note)
    assert filename == f"{note.number}.pdf"
    assert f"Credit note number {note.number}" in pages(content)[0]


def test_rendering_logs_no_weasyprint_progress(caplog):
    invoice = issued_invoice()
    with caplog.at_level(logging.DEBUG):
        invoice_pdf_bytes(invoice)
    assert not [r for r in caplog.records if r.name.startswith(("weasyprint", "fontTools"))]
