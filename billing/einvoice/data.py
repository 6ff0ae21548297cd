"""An issued invoice or credit note as EN 16931 business terms (BT-/BG- keys), the
input the `factur-x` library turns into CII or UBL XML.

Everything comes from the frozen document: lines, amounts and VAT as issued, the buyer as
snapshotted at issue (`Invoice.buyer_party`; invoices issued before it existed use the
account), the seller's structured fields. What an e-invoice cannot do without is refused
with the field named, in the words of the page where it is entered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from billing.error_codes import BillingError
from billing.models import CreditNote, Invoice, InvoiceStatus, VatCategory
from billing.services.invoicing import buyer_party
from billing.services.tax import VatTreatment, line_vat_treatment
from core.errors import DomainValidationError
from core.money import minor_unit
from core.party import split_peppol_id
from core.terms import PaymentTerms
from ordermgmt.models import Contact

INVOICE_TYPE = "380"  # commercial invoice (UNTDID 1001)
CREDIT_NOTE_TYPE = "381"
UNIT_ONE = "C62"  # UN/ECE rec 20: "one"
PEPPOL_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
EMAIL_SCHEME = "EM"  # EAS code for an e-mail address as electronic address
NO_REASON_CATEGORIES = {VatCategory.STANDARD, VatCategory.ZERO}


@dataclass(frozen=True)
class TaxedLine:
    position: int
    name: str
    quantity: Decimal
    amount: Decimal
    tax_amount: Decimal
    treatment: VatTreatment
    period_start: object = None
    period_end: object = None


def _money(value: Decimal, currency: str) -> str:
    places = minor_unit(currency)
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places)))


def _plain(value: Decimal) -> str:
    """20.0000 -> "20" (never "2E+1", which the XSD refuses)."""
    return format(Decimal(value).normalize(), "f")


def _missing(field: str, what: str, where: str) -> DomainValidationError:
    return DomainValidationError(
        field=field,
        code=BillingError.EINVOICE_DATA_MISSING,
        message=f"{what} is missing on {where}; e-invoices need it.",
    )


def _seller_party(invoice: Invoice, *, omit_vat: bool) -> dict:
    entity = invoice.legal_entity
    where = f"the legal entity {entity.name}"
    for field, what in (
        ("country", "The seller's country"),
        ("city", "The seller's city"),
        ("address_line1", "The seller's street"),
    ):
        if not getattr(entity, field):
            raise _missing(field, what, where)
    scheme, endpoint = split_peppol_id(entity.peppol_endpoint_id)
    if not endpoint:
        if not entity.email:
            raise _missing("email", "The seller's e-mail (or Peppol endpoint id)", where)
        scheme, endpoint = EMAIL_SCHEME, entity.email
    party = {
        "name": entity.name,
        "legal_identifier": entity.company_id,
        "einvoicing_addr": endpoint,
        "einvoicing_addr_schemeid": scheme,
        "country_code": entity.country,
        "city": entity.city,
        "postcode": entity.postal_code,
        "addr_l1": entity.address_line1,
        "addr_l2": entity.address_line2,
        "country_subdivision": entity.region,
        "contacts": [
            {"name": f"{entity.name} billing", "email": entity.email, "phone": entity.phone}
        ],
    }
    if entity.vat_id and not omit_vat:
        party["vat_identifier"] = entity.vat_id
    elif entity.company_id:
        # BT-32, the seller's tax registration (e.g. a US EIN) where there is no VAT id.
        party["tax_identifier"] = entity.company_id
    return {key: value for key, value in party.items() if value}


def buyer_fields(invoice: Invoice) -> dict:
    return invoice.buyer_party or buyer_party(invoice.account)


def _buyer_party(invoice: Invoice, *, omit_vat: bool) -> dict:
    fields = buyer_fields(invoice)
    if not fields.get("country"):
        raise _missing("billing_country", "The buyer's country", f"the account {invoice.account}")
    scheme, endpoint = split_peppol_id(fields.get("peppol_endpoint_id", ""))
    if not endpoint:
        # By the account's id: the account itself is read only to name it in a refusal.
        contacts = Contact.objects.filter(account_id=invoice.account_id, is_billing_contact=True)
        contact = contacts.order_by("id").first()
        if contact is None:
            raise _missing(
                "peppol_endpoint_id",
                "A Peppol endpoint id or billing contact",
                f"the account {invoice.account}",
            )
        scheme, endpoint = EMAIL_SCHEME, contact.email
    party = {
        "name": invoice.buyer_name,
        "legal_identifier": fields.get("company_id", ""),
        "einvoicing_addr": endpoint,
        "einvoicing_addr_schemeid": scheme,
        "country_code": fields["country"],
        "city": fields.get("city", ""),
        "postcode": fields.get("postal_code", ""),
        "addr_l1": fields.get("address_line1", ""),
        "addr_l2": fields.get("address_line2", ""),
        "country_subdivision": fields.get("region", ""),
    }
    if fields.get("vat_id") and not omit_vat:
        party["vat_identifier"] = fields["vat_id"]
    return {key: value for key, value in party.items() if value}


def _deliver_to(invoice: Invoice) -> dict:
    """Where the service is supplied: the buyer's address (EN 16931 BG-13/BG-15)."""
    fields = buyer_fields(invoice)
    party = {
        "name": invoice.buyer_name,
        "country_code": fields.get("country", ""),
        "city": fields.get("city", ""),
        "postcode": fields.get("postal_code", ""),
        "addr_l1": fields.get("address_line1", ""),
        "addr_l2": fields.get("address_line2", ""),
    }
    return {key: value for key, value in party.items() if value}


def _invoice_lines(invoice: Invoice) -> list[TaxedLine]:
    lines = invoice.lines.select_related("tax_rate").order_by("position", "id")
    return [
        TaxedLine(
            position=index,
            name=line.description,
            quantity=line.quantity,
            amount=line.amount,
            tax_amount=line.tax_amount,
            treatment=line_vat_treatment(line, invoice),
            period_start=line.period_start,
            period_end=line.period_end,
        )
        for index, line in enumerate(lines, start=1)
    ]


def _credit_note_lines(note: CreditNote) -> list[TaxedLine]:
    invoice = note.invoice
    treatments = {
        (t.category, t.percent): t
        for t in (
            line_vat_treatment(line, invoice) for line in invoice.lines.select_related("tax_rate")
        )
    }
    taxed = []
    for index, line in enumerate(
        note.lines.select_related("invoice_line__tax_rate").order_by("id"), start=1
    ):
        if line.invoice_line_id:
            treatment = line_vat_treatment(line.invoice_line, invoice)
        elif len(treatments) == 1:
            treatment = next(iter(treatments.values()))
        else:
            raise DomainValidationError(
                field="lines",
                code=BillingError.EINVOICE_DATA_MISSING,
                message=f"Credit note line {index} names no invoice line, and invoice "
                f"{invoice.number} has several VAT categories: its category is unknown.",
            )
        taxed.append(
            TaxedLine(
                position=index,
                name=line.description,
                quantity=Decimal(1),
                amount=line.amount,
                tax_amount=line.tax_amount,
                treatment=treatment,
            )
        )
    return taxed


def _line_dict(line: TaxedLine, currency: str) -> dict:
    """Price per base quantity: with the line's own quantity as the base, quantity x
    (price / base) is the line amount exactly, also for prorated lines. A negative
    line (a proration credit) has a negative quantity: EN 16931 forbids negative prices."""
    quantity = line.quantity if line.quantity else Decimal(1)
    sign = -1 if line.amount < 0 else 1
    item = {
        "BT-126": str(line.position),
        "BT-129": str(abs(quantity) * sign),
        "BT-130": UNIT_ONE,
        "BT-131": _money(line.amount, currency),
        "BT-146": _money(abs(line.amount), currency),
        "BT-149": str(abs(quantity)),
        "BT-151": line.treatment.category,
        "BT-152": _plain(line.treatment.percent),
        "BT-153": line.name[:300],
    }
    if line.treatment.category == VatCategory.OUTSIDE_SCOPE:
        del item["BT-152"]  # BR-O-05: no VAT rate on a line not subject to VAT
    if line.period_start and line.period_end:
        item["BT-134"] = line.period_start
        item["BT-135"] = line.period_end
    return item


def _breakdown(lines: list[TaxedLine], currency: str) -> list[dict]:
    groups: dict[tuple, dict] = defaultdict(lambda: {"base": Decimal(0), "tax": Decimal(0)})
    for line in lines:
        t = line.treatment
        key = (t.category, t.percent.normalize(), t.reason, t.reason_code)
        groups[key]["base"] += line.amount
        groups[key]["tax"] += line.tax_amount
    rows = []
    for (category, percent, reason, code), sums in groups.items():
        row = {
            "BT-116": _money(sums["base"], currency),
            "BT-117": _money(sums["tax"], currency),
            "BT-118": category,
            "BT-119": _plain(percent),
        }
        if category == VatCategory.OUTSIDE_SCOPE:
            del row["BT-119"]  # BR-O-10: no VAT rate in an "O" breakdown
        if category not in NO_REASON_CATEGORIES:
            row["BT-120"] = reason or VatCategory(category).label
            if code:
                row["BT-121"] = code
        rows.append(row)
    return rows


def _payment(invoice: Invoice) -> dict:
    entity = invoice.legal_entity
    account = entity.iban or entity.bank_account_number
    if not account:
        raise _missing(
            "iban", "The seller's bank account (IBAN or account number)", f"{entity.name}"
        )
    fields = {"BT-81": "58" if entity.iban else "30", "BT-84": account}
    if entity.bic:
        fields["BT-86"] = entity.bic
    return fields


def _notes(lines: list[TaxedLine]) -> list[dict]:
    notes = []
    seen = set()
    for line in lines:
        t = line.treatment
        if t.category not in NO_REASON_CATEGORIES and t.reason and t.reason not in seen:
            seen.add(t.reason)
            notes.append({"BT-22": t.reason})
    return notes


def einvoice_data(document: Invoice | CreditNote) -> dict:
    """The EN 16931 terms of an issued invoice or a credit note (for factur-x)."""
    if isinstance(document, Invoice):
        if document.status == InvoiceStatus.DRAFT:
            raise DomainValidationError(
                field="status",
                code=BillingError.NOT_ISSUED,
                message="A draft has no e-invoice: it gets one when it is issued.",
            )
        invoice = document
        lines = _invoice_lines(invoice)
        head = {
            "BT-1": invoice.number,
            "BT-2": invoice.invoice_date,
            "BT-3": INVOICE_TYPE,
            "BT-9": invoice.due_date,
        }
        subtotal, tax, total = invoice.subtotal_amount, invoice.tax_amount, invoice.total_amount
        notes = _notes(lines)
    else:
        invoice = document.invoice
        lines = _credit_note_lines(document)
        head = {
            "BT-1": document.number,
            "BT-2": document.credit_date,
            "BT-3": CREDIT_NOTE_TYPE,
            "BG-3": [{"BT-25": invoice.number, "BT-26": invoice.invoice_date}],
        }
        subtotal, tax, total = document.subtotal_amount, document.tax_amount, document.total_amount
        notes = [{"BT-22": document.reason[:1000]}, *_notes(lines)]
    currency = document.currency
    only_outside_scope = all(line.treatment.category == VatCategory.OUTSIDE_SCOPE for line in lines)
    fields = buyer_fields(invoice)
    data = {
        **head,
        "BT-5": currency,
        "BT-10": fields.get("buyer_reference", ""),
        "BT-13": invoice.po_number or fields.get("purchase_order_number", ""),
        "BT-20": _terms_label(invoice.payment_terms),
        "BT-23": PEPPOL_PROCESS,
        "BT-83": document.number,
        **_payment(invoice),
        "BG-1": notes,
        "BG-4": _seller_party(invoice, omit_vat=only_outside_scope),
        "BG-7": _buyer_party(invoice, omit_vat=only_outside_scope),
        "BG-13": _deliver_to(invoice),
        "BG-23": _breakdown(lines, currency),
        "BG-25": [_line_dict(line, currency) for line in lines],
        "BT-106": _money(sum((line.amount for line in lines), Decimal(0)), currency),
        "BT-109": _money(subtotal, currency),
        "BT-110": _money(tax, currency),
        "BT-112": _money(total, currency),
        "BT-115": _money(total, currency),
    }
    return {key: value for key, value in data.items() if value not in ("", [], None)}


def _terms_label(code: str) -> str:
    try:
        return PaymentTerms.parse(code).label
    except DomainValidationError:
        return code
