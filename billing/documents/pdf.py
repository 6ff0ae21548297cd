"""Invoice and credit-note PDFs, rendered with WeasyPrint.

An issued invoice is a legal document: its PDF is rendered once, stored on the invoice
with its SHA-256 and from then on served as stored (`invoice_pdf_download`), never
rendered again, so that a later change of template, legal entity or payment state cannot
change a document the customer already holds. Drafts render on demand, marked DRAFT and
without a number.

Rendering uses only the DejaVu fonts installed with the system and loads nothing: the URL
fetcher refuses every URL, so no text on an invoice can make the renderer read a file or
call the network.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from decimal import Decimal

from babel.numbers import format_currency
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string

from billing.error_codes import BillingError
from billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    VatCategory,
)
from billing.selectors.online_payment import pay_online_url
from billing.services.tax import INCLUSIVE_RULES, line_vat_treatment
from core.audit import audit_next_save
from core.errors import DomainValidationError
from core.money import format_money, minor_unit
from core.terms import PaymentTerms

logger = logging.getLogger(__name__)

# WeasyPrint logs each layout step at INFO ("Step 1 - Fetching and parsing HTML"): seven
# lines per PDF in a worker at -l info. fontTools logs its subsetting the same way.
for _noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

MAX_UNIT_PRICE_PLACES = 6  # unit_price_field keeps 6 places


class StoredDocumentAltered(RuntimeError):
    """The stored PDF no longer matches the SHA-256 recorded when it was issued."""


# --- formatting -------------------------------------------------------------------------


def _date(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else ""


def _percent(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return f"{text}%"


def _quantity(value: Decimal) -> str:
    value = Decimal(value).normalize()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return format(value, ",f")


def _unit_price(amount: Decimal, currency: str) -> str:
    """A unit price keeps the places it has (USD 0.0125 stays 0.0125), at least the
    currency's own: rounding it to cents would print a price nobody agreed to."""
    own_places = max(0, -Decimal(amount).normalize().as_tuple().exponent)
    places = min(max(minor_unit(currency), own_places), MAX_UNIT_PRICE_PLACES)
    pattern = "¤#,##0" + ("." + "0" * places if places else "")
    return format_currency(
        Decimal(amount), currency, format=pattern, locale="en_US", currency_digits=False
    )


def _period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{_date(start)} – {_date(end)}"
    return _date(start or end)


def _line_text(line: InvoiceLine) -> str:
    """The line's description without the service period that billing appends to it
    (", 01 Jan 2026 – 31 Dec 2026"): the PDF shows the period in its own column."""
    text = line.description
    if line.period_start and line.period_end:
        suffix = f", {line.period_start:%d %b %Y} – {line.period_end:%d %b %Y}"
        text = text.replace(suffix, "", 1)
    return text


def _terms_label(code: str) -> str:
    try:
        return PaymentTerms.parse(code).label
    except DomainValidationError:
        return code


def _tax_label(percents: set[Decimal], *, exempt: bool) -> str:
    if exempt:
        return "Tax (exempt)"
    if len(percents) == 1:
        return f"Tax ({_percent(percents.pop())})"
    return "Tax"


def _seller(entity) -> dict:
    return {
        "name": entity.name,
        "address": entity.address,
        "tax_id": entity.vat_id or entity.tax_id,
        "email": entity.email,
        "remit_to": entity.remit_to,
    }


# --- rendering --------------------------------------------------------------------------


def _render_pdf(html: str, pdf_variant: str | None = None) -> bytes:
    """`pdf_variant="pdf/a-3b"` for Factur-X: fonts embedded, sRGB output intent."""
    from weasyprint import HTML  # imported here: 0.5 s that web processes rarely need
    from weasyprint.urls import URLFetcher

    no_fetching = URLFetcher(allowed_protocols=())
    options = {"pdf_variant": pdf_variant} if pdf_variant else {}
    return HTML(string=html, url_fetcher=no_fetching).write_pdf(**options)


def _vat_summary(treated: list[tuple], currency: str) -> tuple[list[dict], list[str]]:
    """EN 16931 VAT breakdown (per category and rate) and the exemption or reverse-charge
    notes, from (treatment, net, tax) of each line."""
    groups: dict[tuple, list[Decimal]] = {}
    notes: list[str] = []
    for treatment, net, tax in treated:
        key = (treatment.category, Decimal(treatment.percent).normalize())
        sums = groups.setdefault(key, [Decimal(0), Decimal(0)])
        sums[0] += net
        sums[1] += tax
        if treatment.reason and treatment.category not in ("S", "Z"):
            label = VatCategory(treatment.category).label
            note = treatment.reason
            if not note.lower().startswith(label.lower()):
                note = f"{label}: {note}"
            if treatment.reason_code:
                note += f" ({treatment.reason_code})"
            if note not in notes:
                notes.append(note)
    rows = [
        {
            "category": f"{category} – {VatCategory(category).label}",
            "percent": _percent(percent),
            "base": format_money(base, currency),
            "tax": format_money(tax, currency),
        }
        for (category, percent), (base, tax) in groups.items()
    ]
    return rows, notes


def inclusive_note(rule: str) -> str:
    """What a tax-inclusive invoice says of its amounts (Amount = net, VAT per rate)."""
    return (
        "Prices include VAT. Unit prices are gross; each line's amount is net, its VAT "
        f"split from the gross {INCLUSIVE_RULES.get(rule, rule)}. The total is the sum "
        "of the gross prices; the VAT per rate is shown below."
    )


def _invoice_context(invoice: Invoice) -> dict:
    currency = invoice.currency
    lines = list(invoice.lines.order_by("position", "id"))
    is_draft = invoice.status == InvoiceStatus.DRAFT
    is_void = invoice.status == InvoiceStatus.VOID
    reference = invoice.number or ""
    totals = [
        ("Subtotal", format_money(invoice.subtotal_amount, currency), ""),
        (
            _tax_label({line.tax_percent for line in lines}, exempt=invoice.tax_exempt),
            format_money(invoice.tax_amount, currency),
            "",
        ),
        ("Total", format_money(invoice.total_amount, currency), "total"),
    ]
    if invoice.credited_amount:
        totals.append(("Credited", format_money(-invoice.credited_amount, currency), ""))
    if invoice.paid_amount:
        totals.append(("Paid", format_money(-invoice.paid_amount, currency), ""))
    # (label, value, css class); "doc-number" feeds the page header and footer.
    meta = [
        ("Invoice number", reference, "doc-number")
        if reference
        else ("Invoice number", "Assigned when issued", ""),
        ("Invoice date", _date(invoice.invoice_date), ""),
        ("Due date", _date(invoice.due_date), ""),
        ("Payment terms", _terms_label(invoice.payment_terms), ""),
    ]
    if invoice.po_number:
        meta.append(("PO number", invoice.po_number, ""))
    meta.append(("Currency", currency, ""))
    notes = []
    if invoice.replaces_id:
        notes.append(f"Replaces invoice {invoice.replaces.number}, which is void.")
    if invoice.tax_exempt:
        notes.append("Tax exempt: no tax is charged on this invoice.")
    if invoice.prices_include_tax:
        notes.append(inclusive_note(invoice.tax_rounding))
    vat_rows, vat_notes = _vat_summary(
        [(line_vat_treatment(line, invoice), line.amount, line.tax_amount) for line in lines],
        currency,
    )
    notes.extend(vat_notes)
    return {
        "title": "Draft invoice" if is_draft else "Invoice",
        "document_ref": f"Invoice {reference}" if reference else "Draft invoice",
        "watermark": "DRAFT" if is_draft else ("VOID" if is_void else ""),
        "seller": _seller(invoice.legal_entity),
        "buyer": {
            "name": invoice.buyer_name,
            "address": invoice.buyer_address,
            "tax_id": invoice.buyer_tax_id,
        },
        "meta": meta,
        "notes": notes,
        "rows": [
            {
                "description": _line_text(line),
                "period": _period(line.period_start, line.period_end),
                "quantity": _quantity(line.quantity),
                "unit_price": _unit_price(line.unit_price, currency)
                + (" incl. tax" if invoice.prices_include_tax else ""),
                "discount": _percent(line.discount_percent) if line.discount_percent else "–",
                "tax_percent": _percent(line.tax_percent),
                "amount": format_money(line.amount, currency),
            }
            for line in lines
        ],
        "totals": totals,
        "vat_rows": vat_rows,
        "amount_due": format_money(invoice.open_amount, currency),
        "pay_online_url": pay_online_url(invoice),
        "due_date": _date(invoice.due_date),
        "reference": reference,
    }


def invoice_pdf_bytes(invoice: Invoice, pdf_variant: str | None = None) -> bytes:
    """Renders the invoice as it stands now. Issued invoices: use `invoice_pdf_download`,
    which serves the stored document."""
    html = render_to_string("billing/pdf/invoice.html", _invoice_context(invoice))
    return _render_pdf(html, pdf_variant)


def _credit_note_row(line: CreditNoteLine, currency: str) -> dict:
    row = {
        "description": line.description,
        "period": "",
        "tax_percent": "",
        "net": format_money(line.amount, currency),
        "tax": format_money(line.tax_amount, currency),
        "total": format_money(line.amount + line.tax_amount, currency),
    }
    credited = line.invoice_line
    if credited is not None:
        row["description"] = _line_text(credited)
        row["period"] = _period(credited.period_start, credited.period_end)
        row["tax_percent"] = _percent(credited.tax_percent)
    return row


def _credit_note_context(note: CreditNote) -> dict:
    currency = note.currency
    invoice = note.invoice
    lines = list(note.lines.select_related("invoice_line").order_by("id"))
    percents = {line.invoice_line.tax_percent for line in lines if line.invoice_line_id}
    meta = [
        ("Credit note number", note.number, "doc-number"),
        ("Credit note date", _date(note.credit_date), ""),
        ("Credits invoice", invoice.number, ""),
        ("Invoice date", _date(invoice.invoice_date), ""),
    ]
    if invoice.po_number:
        meta.append(("PO number", invoice.po_number, ""))
    meta.append(("Currency", currency, ""))
    if note.is_void_of_invoice:
        notes = [f"Invoice {invoice.number} is void: this credit note cancels it in full."]
    else:
        notes = [f"This credit note reduces the amount due on invoice {invoice.number}."]
    if invoice.prices_include_tax:
        notes.append(
            f"Amounts include tax, as on invoice {invoice.number}: each line credits the "
            "net and tax that invoice split from the gross."
        )
    vat_rows, vat_notes = _vat_summary(
        [
            (line_vat_treatment(line.invoice_line, invoice), line.amount, line.tax_amount)
            for line in lines
            if line.invoice_line_id
        ],
        currency,
    )
    notes.extend(vat_notes)
    return {
        "title": "Credit note",
        "document_ref": f"Credit note {note.number}",
        "watermark": "",
        "seller": _seller(note.legal_entity),
        "buyer": {
            "name": invoice.buyer_name,
            "address": invoice.buyer_address,
            "tax_id": invoice.buyer_tax_id,
        },
        "meta": meta,
        "notes": notes,
        "reason": note.reason,
        "invoice_number": invoice.number,
        "rows": [_credit_note_row(line, currency) for line in lines],
        "totals": [
            ("Subtotal", format_money(note.subtotal_amount, currency), ""),
            (
                _tax_label(percents, exempt=invoice.tax_exempt),
                format_money(note.tax_amount, currency),
                "",
            ),
        ],
        "vat_rows": vat_rows,
        "credit_total": format_money(note.total_amount, currency),
    }


def credit_note_pdf_bytes(note: CreditNote, pdf_variant: str | None = None) -> bytes:
    context = _credit_note_context(note)
    return _render_pdf(render_to_string("billing/pdf/credit_note.html", context), pdf_variant)


# --- stored documents -------------------------------------------------------------------


def _save_once(instance, content: bytes, *, update_fields: list[str], reason: str) -> None:
    """Writes the file, then the row; a failed row update leaves no orphan file behind."""
    instance.pdf.save(f"{instance.number}.pdf", ContentFile(content), save=False)
    try:
        audit_next_save(instance, reason=reason)
        instance.save(update_fields=update_fields)
    except BaseException:
        instance.pdf.storage.delete(instance.pdf.name)
        raise


def store_invoice_pdf(invoice: Invoice) -> Invoice:
    """Renders an issued invoice's PDF once and keeps it with its SHA-256.

    Idempotent and safe under concurrency: the invoice row is locked while rendering, so
    two workers never store two different documents for one invoice. Returns the invoice
    with `pdf` and `pdf_sha256` set.
    """
    with transaction.atomic(durable=True):
        locked = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("legal_entity", "replaces")
            .get(pk=invoice.pk)
        )
        if locked.pdf:
            return locked
        if locked.status == InvoiceStatus.DRAFT:
            raise DomainValidationError(
                field="status",
                code=BillingError.DRAFT_NOT_STORED,
                message="A draft invoice has no stored PDF; it renders on demand until issued.",
            )
        content = invoice_pdf_bytes(locked)
        locked.pdf_sha256 = hashlib.sha256(content).hexdigest()
        _save_once(
            locked,
            content,
            update_fields=["pdf", "pdf_sha256", "updated_at"],
            reason="invoice.pdf_stored",
        )
    logger.info("Stored the PDF of invoice %s", locked.pk)
    return locked


def read_stored_invoice_pdf(invoice: Invoice) -> bytes:
    """The stored document, checked against the SHA-256 recorded when it was stored."""
    with invoice.pdf.open("rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != invoice.pdf_sha256:
        logger.error("The stored PDF of invoice %s does not match its SHA-256", invoice.pk)
        raise StoredDocumentAltered(f"The stored PDF of invoice {invoice.pk} was altered.")
    return content


def invoice_pdf_download(invoice: Invoice) -> tuple[str, bytes]:
    """(filename, PDF) to serve: a draft renders now, an issued or void invoice is the
    document stored when it was first rendered."""
    if invoice.status == InvoiceStatus.DRAFT:
        return f"draft-invoice-{invoice.pk}.pdf", invoice_pdf_bytes(invoice)
    stored = store_invoice_pdf(invoice)
    return f"{stored.number}.pdf", read_stored_invoice_pdf(stored)


def store_credit_note_pdf(note: CreditNote) -> CreditNote:
    """Renders a credit note's PDF once and keeps it on `CreditNote.pdf`."""
    with transaction.atomic(durable=True):
        locked = (
            CreditNote.objects.select_for_update(of=("self",))
            .select_related("legal_entity", "invoice")
            .get(pk=note.pk)
        )
        if locked.pdf:
            return locked
        _save_once(
            locked,
            credit_note_pdf_bytes(locked),
            update_fields=["pdf"],
            reason="credit_note.pdf_stored",
        )
    logger.info("Stored the PDF of credit note %s", locked.pk)
    return locked


def credit_note_pdf_download(note: CreditNote) -> tuple[str, bytes]:
    stored = store_credit_note_pdf(note)
    with stored.pdf.open("rb") as document:
        return f"{stored.number}.pdf", document.read()
