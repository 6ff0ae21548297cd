"""E-invoice downloads from the invoice and credit note pages (same rights as the PDF).
A document an e-invoice cannot be made for goes back to its page with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from billing.einvoice import SYNTAXES, render_einvoice
from billing.models import CreditNote, Invoice
from core.errors import DomainValidationError
from core.permissions import require


def _download(request, document, syntax: str, page: str):
    if syntax not in SYNTAXES:
        raise Http404("No such e-invoice format.")
    try:
        filename, content_type, content = render_einvoice(document=document, syntax=syntax)
    except DomainValidationError as error:
        messages.error(request, error.message)
        return redirect(page, document.pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require("billing.view_invoice")
def invoice_einvoice(request, pk: int, syntax: str):
    invoice = get_object_or_404(Invoice.objects.select_related("legal_entity", "account"), pk=pk)
    return _download(request, invoice, syntax, "billing:invoice_detail")


@require("billing.view_creditnote")
def credit_note_einvoice(request, pk: int, syntax: str):
    note = get_object_or_404(CreditNote.objects.select_related("invoice"), pk=pk)
    return _download(request, note, syntax, "billing:credit_note_detail")
