"""`render_einvoices`: several syntaxes of one document with its data read once, stored
exactly as one `render_einvoice` call a syntax stores them; and the data read costs the
same number of queries however many lines the document has."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.einvoice import render_einvoice, render_einvoices
from billing.einvoice.data import einvoice_data
from billing.models import CreditNote, EInvoiceFile, Invoice
from billing.services import issue_credit_note
from core.errors import DomainValidationError
from tests.einvoice.conftest import german_buyer, issued
from tests.factories import ProductFactory, line_input

pytestmark = pytest.mark.django_db

SYNTAXES = ["facturx-xml", "xrechnung", "ubl"]


def stored_files(document) -> list[tuple]:
    return list(
        EInvoiceFile.objects.filter(pk__in=document.einvoice_files.values("pk"))
        .order_by("syntax")
        .values_list("syntax", "filename", "content_type", "content", "sha256")
    )


def several_lines(lines: int) -> Invoice:
    product = ProductFactory()
    return issued(
        german_buyer(),
        lines=[
            line_input(product, quantity=Decimal(1 + n), unit_price=Decimal("99.50"))
            for n in range(lines)
        ],
    )


def fresh(document):
    """The document as a page or the API loads it: no relations cached."""
    return type(document).objects.get(pk=document.pk)


def test_the_combined_render_stores_what_three_single_renders_store(german_seller):
    invoice = several_lines(3)
    note = issue_credit_note(invoice=invoice, actor=None, reason="Credit", amount=Decimal("119"))
    for document in (invoice, note):
        combined = render_einvoices(document=fresh(document), syntaxes=SYNTAXES)
        together = stored_files(document)
        assert [row[0] for row in together] == sorted(SYNTAXES)
        EInvoiceFile.objects.filter(pk__in=document.einvoice_files.values("pk")).delete()
        singles = {s: render_einvoice(document=fresh(document), syntax=s) for s in SYNTAXES}
        assert [bytes(row[3]) for row in together] == [
            bytes(row[3]) for row in stored_files(document)
        ]
        assert together == stored_files(document)
        assert combined == singles
        assert b"xrechnung_3.0" in combined["xrechnung"][2]


def test_the_combined_render_refuses_as_the_single_one_and_keeps_what_came_before(
    german_seller,
):
    invoice = issued(german_buyer(buyer_reference=""))
    with pytest.raises(DomainValidationError) as single:
        render_einvoice(document=invoice, syntax="xrechnung")
    with pytest.raises(DomainValidationError) as combined:
        render_einvoices(document=fresh(invoice), syntaxes=SYNTAXES)
    assert (combined.value.field, combined.value.code, combined.value.message) == (
        single.value.field,
        single.value.code,
        single.value.message,
    )
    assert [row[0] for row in stored_files(invoice)] == ["facturx-xml"]
    with pytest.raises(DomainValidationError) as draft_or_unknown:
        render_einvoices(document=invoice, syntaxes=["ubl", "pdf-x"])
    assert draft_or_unknown.value.field == "syntax"
    assert [row[0] for row in stored_files(invoice)] == ["facturx-xml"]


def test_reading_a_documents_data_costs_the_same_queries_for_one_line_or_five(german_seller):
    def queries(document) -> int:
        document = fresh(document)
        with CaptureQueriesContext(connection) as captured:
            einvoice_data(document)
        return len(captured)

    one, five = several_lines(1), several_lines(5)
    assert five.lines.count() == 5
    assert queries(five) == queries(one) == 3  # lines, seller, billing contact
    amount = Decimal("50")
    notes = [
        issue_credit_note(invoice=i, actor=None, reason="Credit", amount=amount)
        for i in (one, five)
    ]
    one_note, five_note = (CreditNote.objects.get(pk=note.pk) for note in notes)
    assert queries(five_note) == queries(one_note) == 5  # and the invoice, the note lines
