"""Invoices: drafting from schedule lines, issuing with a gapless number, voiding."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import (
    BillingScheduleLine,
    DocumentType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    LegalEntity,
    NumberSeries,
    ScheduleLineStatus,
    SettlementStatus,
)
from billing.services.tax import (
    apply_line_taxes,
    check_vat_categories,
    line_vat_treatment,
    seller_tax_rounding,
    vat_treatment,
)
from core.audit import audit_next_save
from core.bounds import check_document_date
from core.errors import DomainValidationError
from core.money import money_sum
from core.terms import PaymentTerms
from ordermgmt.models import Account, Contract

# Hooks run on commit after an invoice is issued (delivery, Stripe push): integrations
# register here so that billing never imports them.
ON_ISSUE: list[Callable[[int], None]] = []
# Hooks run inside the issuing transaction, for an integration's outbox row: the intent
# commits with the invoice or not at all, so a crash right after commit loses nothing.
ON_ISSUE_IN_TRANSACTION: list[Callable[[int], None]] = []


def default_legal_entity() -> LegalEntity:
    entity = LegalEntity.objects.filter(is_default=True).first()
    if entity is None:
        raise DomainValidationError(
            field="legal_entity",
            code=BillingError.NO_LEGAL_ENTITY,
            message="No default legal entity is set up; add one under Billing › Legal entities.",
        )
    return entity


def next_document_number(
    *,
    legal_entity: LegalEntity,
    document_type: str,
    year: int,
    dated: tuple[str, date],
) -> str:
    """Must run inside the issuing transaction: the series row stays locked until commit,
    so numbers are gapless (a rollback gives the number back) and never duplicated.

    `dated=(field, day)`: the document's date, chosen by a user or a draft's own; it must
    lie in the window around today and not before the last document of the series, so
    that numbers follow dates. Checked under the series lock."""
    prefix = (
        legal_entity.invoice_prefix
        if document_type == DocumentType.INVOICE
        else legal_entity.credit_note_prefix
    )
    key = {"legal_entity": legal_entity, "document_type": document_type, "year": year}
    # The year's series exists but for its first document: lock it straight away (one
    # query, not a savepoint and two reads a document).
    series = NumberSeries.objects.select_for_update().filter(**key).first()
    if series is None:
        try:
            with transaction.atomic():
                NumberSeries.objects.get_or_create(**key, defaults={"prefix": prefix})
        except IntegrityError:
            pass  # another issuer created this year's series first
        series = NumberSeries.objects.select_for_update().get(**key)
    field, day = dated
    check_document_date(
        day,
        field=field,
        what=DocumentType(document_type).label.lower() + " date",
        last_issued=last_document_date(
            legal_entity=legal_entity, document_type=document_type, year=year
        ),
    )
    number = series.next_number
    series.next_number = number + 1
    series.save(update_fields=["next_number"])
    return series.format(number)


def last_document_date(*, legal_entity: LegalEntity, document_type: str, year: int):
    from billing.models import CreditNote

    if document_type == DocumentType.INVOICE:
        documents = Invoice.objects.filter(number__isnull=False, invoice_date__year=year)
        latest = documents.filter(legal_entity=legal_entity).aggregate(day=Max("invoice_date"))
    else:
        documents = CreditNote.objects.filter(legal_entity=legal_entity, credit_date__year=year)
        latest = documents.aggregate(day=Max("credit_date"))
    return latest["day"]


def buyer_snapshot(account: Account) -> dict:
    return {
        "buyer_name": account.legal_name,
        "buyer_address": account.billing_address,
        "buyer_tax_id": account.tax_id,
        "tax_exempt": account.tax_exempt,
        "buyer_party": buyer_party(account),
    }


def buyer_party(account: Account) -> dict:
    """The structured buyer an e-invoice carries (EN 16931 BG-7, BT-10, BT-49)."""
    return {
        "address_line1": account.billing_address_line1,
        "address_line2": account.billing_address_line2,
        "city": account.billing_city,
        "region": account.billing_region,
        "postal_code": account.billing_postal_code,
        "country": account.billing_country,
        "vat_id": account.vat_id,
        "company_id": account.company_id,
        "buyer_reference": account.buyer_reference,
        "purchase_order_number": account.purchase_order_number,
        "peppol_endpoint_id": account.peppol_endpoint_id,
    }


def build_draft_invoice(
    *,
    legal_entity: LegalEntity,
    contract: Contract,
    invoice_date: date,
    schedule_lines: Sequence[BillingScheduleLine],
    amounts: dict[int, Decimal],
    quantities: dict[int, Decimal],
    tax_rate,
    billing_run=None,
) -> tuple[Invoice, list[InvoiceLine]]:
    """Unsaved invoice and lines for due schedule lines of one contract (no queries)."""
    account = contract.account
    currency = contract.currency
    terms = PaymentTerms.parse(contract.payment_terms)
    treatment = vat_treatment(seller=legal_entity, account=account, tax_rate=tax_rate)
    percent = treatment.percent
    # Tax-inclusive contracts: the schedule's amounts are gross, split into net and tax;
    # otherwise net, taxed. Either way by the seller's rounding rule (section 1.3).
    inclusive = contract.prices_include_tax
    mode = seller_tax_rounding(legal_entity)
    invoice = Invoice(
        legal_entity=legal_entity,
        account=account,
        contract=contract,
        billing_run=billing_run,
        currency=currency,
        invoice_date=invoice_date,
        due_date=terms.due_date(invoice_date),
        payment_terms=terms.code,
        po_number=contract.po_number,
        tax_rounding=mode,
        prices_include_tax=inclusive,
        **buyer_snapshot(account),
    )
    lines = []
    for position, schedule in enumerate(schedule_lines, start=1):
        contract_line = schedule.contract_line
        explanation = dict(schedule.explanation)
        explanation["schedule_line"] = schedule.pk
        explanation["contract_line"] = contract_line.pk
        if schedule.kind == "usage":
            explanation["usage_quantity"] = str(quantities[schedule.pk])
        lines.append(
            InvoiceLine(
                invoice=invoice,
                position=position,
                schedule_line=schedule,
                contract_line=contract_line,
                description=_line_description(schedule),
                period_start=schedule.period_start,
                period_end=schedule.period_end,
                quantity=quantities.get(schedule.pk, schedule.quantity),
                unit_price=contract_line.unit_price,
                discount_percent=contract_line.discount_percent,
                amount=amounts[schedule.pk],
                tax_rate=None if account.tax_exempt else tax_rate,
                tax_percent=percent,
                tax_amount=Decimal(0),
                vat_category=treatment.category,
                vat_exemption_reason=treatment.reason,
                vat_exemption_reason_code=treatment.reason_code,
                explanation=explanation,
            )
        )
    apply_line_taxes(
        lines=lines, percent=percent, currency=currency, mode=mode, prices_include_tax=inclusive
    )
    set_invoice_totals(invoice, lines)
    return invoice, lines


def set_invoice_totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """Totals are sums of the rounded lines; with tax-inclusive prices the total is then
    exactly the sum of the lines' gross."""
    currency = invoice.currency
    invoice.subtotal_amount = money_sum(((ln.amount, currency) for ln in lines), currency=currency)
    invoice.tax_amount = money_sum(((ln.tax_amount, currency) for ln in lines), currency=currency)
    invoice.total_amount = invoice.subtotal_amount + invoice.tax_amount


PRORATION_SUFFIXES = {
    "proration_credit": " (credit: unused time at the old terms)",
    "proration_debit": " (remaining time at the new terms)",
}


def _line_description(schedule: BillingScheduleLine) -> str:
    product = schedule.contract_line.product
    text = schedule.contract_line.description or product.name
    if schedule.kind == "one_time":
        return text
    suffix = " (prorated)" if schedule.explanation.get("prorated") else ""
    if schedule.kind in PRORATION_SUFFIXES:  # a change order's credit or debit
        suffix = PRORATION_SUFFIXES[schedule.kind]
    return f"{text}, {schedule.period_start:%d %b %Y} – {schedule.period_end:%d %b %Y}{suffix}"


@transaction.atomic(durable=True)
def issue_invoice(*, invoice: Invoice, actor, invoice_date: date | None = None) -> Invoice:
    # The buyer and the seller read with the lock (only the invoice's row is locked).
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("account", "legal_entity")
        .get(pk=invoice.pk)
    )
    if invoice.status != InvoiceStatus.DRAFT:
        invoice.transition_to(InvoiceStatus.ISSUED)  # raises, naming both states
    lines = list(invoice.lines.select_related("tax_rate").order_by("position", "id"))
    if not lines:
        raise DomainValidationError(
            field="lines", code=BillingError.NO_LINES, message="An invoice needs at least one line."
        )
    if invoice.total_amount < 0:
        raise DomainValidationError(
            field="total_amount",
            code=BillingError.NEGATIVE_TOTAL,
            message="An invoice cannot total below zero; issue a credit note instead.",
        )
    if invoice_date is not None:
        # The window first: a due date is computed from it (9999-12-31 would overflow).
        check_document_date(
            invoice_date, field="invoice_date", what="invoice date", last_issued=None
        )
        invoice.invoice_date = invoice_date
        invoice.due_date = PaymentTerms.parse(invoice.payment_terms).due_date(invoice_date)
    for name, value in buyer_snapshot(invoice.account).items():
        setattr(invoice, name, value)
    _fix_vat_categories(invoice, lines)
    invoice.transition_to(InvoiceStatus.ISSUED)
    invoice.number = next_document_number(
        legal_entity=invoice.legal_entity,
        document_type=DocumentType.INVOICE,
        year=invoice.invoice_date.year,
        # A draft's own date (a billing run's) is held to the same rules as a chosen one.
        dated=("invoice_date", invoice.invoice_date),
    )
    invoice.issued_at = timezone.now()
    if invoice.total_amount == 0:
        invoice.settlement_status = SettlementStatus.PAID
    audit_next_save(invoice, actor=actor, reason="invoice.issued")
    invoice.save()
    invoice_id = invoice.pk
    for hook in ON_ISSUE_IN_TRANSACTION:
        hook(invoice_id)
    for hook in ON_ISSUE:
        transaction.on_commit(lambda hook=hook: hook(invoice_id))
    return invoice


def _fix_vat_categories(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    """Checks each line's VAT category before the number is taken, and stores the
    category implied by the rate on lines drafted without one."""
    check_vat_categories(invoice, lines)
    for line in lines:
        if not line.vat_category:
            treatment = line_vat_treatment(line, invoice)
            line.vat_category = treatment.category
            line.vat_exemption_reason = treatment.reason
            line.vat_exemption_reason_code = treatment.reason_code
            line.save(
                update_fields=["vat_category", "vat_exemption_reason", "vat_exemption_reason_code"]
            )


def refresh_settlement(invoice: Invoice) -> None:
    """Settlement follows the open balance (credit notes and payments reduce it)."""
    if invoice.open_amount <= 0:
        invoice.settlement_status = SettlementStatus.PAID
    elif invoice.paid_amount > 0 or invoice.credited_amount > 0:
        invoice.settlement_status = SettlementStatus.PARTIALLY_PAID
    else:
        invoice.settlement_status = SettlementStatus.UNPAID


@transaction.atomic(durable=True)
def discard_draft_invoice(*, invoice: Invoice, actor) -> Invoice:
    """A draft never issued: void it and give its schedule lines back to billing."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise DomainValidationError(
            field="status",
            code=BillingError.NOT_DRAFT,
            message="Only a draft can be discarded; void an issued invoice with a credit note.",
        )
    BillingScheduleLine.transition_rows(
        BillingScheduleLine.objects.filter(invoice_line__invoice=invoice),
        from_status=ScheduleLineStatus.BILLED,
        to_status=ScheduleLineStatus.PENDING,
        invoice_line=None,
    )
    invoice.transition_to(InvoiceStatus.VOID)
    invoice.voided_at = timezone.now()
    audit_next_save(invoice, actor=actor, reason="invoice.draft_discarded")
    invoice.save()
    return invoice


@transaction.atomic(durable=True)
def create_corrected_invoice(*, original: Invoice, actor) -> Invoice:
    """A new draft in place of a voided invoice; it takes over its schedule lines."""
    original = Invoice.objects.select_for_update().get(pk=original.pk)
    if original.status != InvoiceStatus.VOID or original.number is None:
        raise DomainValidationError(
            field="replaces",
            code=BillingError.NOT_VOIDED,
            message="Only a voided, issued invoice can be corrected.",
        )
    if original.corrections.exclude(status=InvoiceStatus.VOID).exists():
        raise DomainValidationError(
            field="replaces",
            code=BillingError.ALREADY_CORRECTED,
            message=f"{original.number} already has a corrected invoice.",
        )
    copy_fields = [
        "legal_entity_id",
        "account_id",
        "contract_id",
        "currency",
        "invoice_date",
        "due_date",
        "payment_terms",
        "po_number",
        "buyer_name",
        "buyer_address",
        "buyer_tax_id",
        "tax_exempt",
        "tax_rounding",
        "prices_include_tax",
        "subtotal_amount",
        "tax_amount",
        "total_amount",
    ]
    correction = Invoice(replaces=original, **{f: getattr(original, f) for f in copy_fields})
    audit_next_save(correction, actor=actor, reason=f"invoice.correction_of:{original.number}")
    correction.save()
    for line in original.lines.all():
        old_id = line.pk
        line.pk = None
        line.invoice = correction
        line.save()
        BillingScheduleLine.objects.filter(invoice_line_id=old_id).update(invoice_line=line)
    return correction
