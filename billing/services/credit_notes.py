"""Credit notes: full or partial, by line or by amount; voiding is a full credit note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import (
    CreditNote,
    CreditNoteLine,
    DocumentType,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from billing.services.invoicing import next_document_number, refresh_settlement
from billing.services.tax import included_taxes, line_taxes
from billing.writeoffs import gate
from core.audit import actor_or_none, audit_next_save
from core.bounds import check_document_date
from core.errors import DomainValidationError
from core.money import format_money, is_rounded, minor_unit, split

ON_CREDIT_NOTE: list = []  # on-commit hooks (PDF, Stripe), like invoicing.ON_ISSUE
ON_CREDIT_NOTE_IN_TRANSACTION: list = []  # outbox rows, like invoicing.ON_ISSUE_IN_TRANSACTION


@dataclass
class CreditLineInput:
    invoice_line: InvoiceLine
    # Tax-exclusive invoice: net, tax credited at the line's rate. Tax-inclusive invoice:
    # the gross the customer gets back, split into net and tax by the invoice's rule.
    amount: Decimal


def _credited_per_line(invoice: Invoice) -> dict[int, tuple[Decimal, Decimal]]:
    """{invoice line: (net credited, tax credited)} by the invoice's notes so far."""
    rows = (
        CreditNoteLine.objects.filter(credit_note__invoice=invoice, invoice_line__isnull=False)
        .values("invoice_line")
        .annotate(net=Sum("amount"), tax=Sum("tax_amount"))
    )
    return {r["invoice_line"]: (r["net"], r["tax"]) for r in rows}


def _left_on_line(line: InvoiceLine, credited: dict) -> tuple[Decimal, Decimal]:
    """(net, tax) of the line not yet credited."""
    net, tax = credited.get(line.pk, (Decimal(0), Decimal(0)))
    return line.amount - net, line.tax_amount - tax


def _lines_by_amount(invoice: Invoice, gross: Decimal) -> list[CreditNoteLine]:
    """Spread a gross amount over the lines by what each still has uncredited. A line
    credited in full gets back exactly its own net and tax (so a tax-inclusive invoice's
    split is reversed as it was made); a part of a line is split from its gross as a
    tax-inclusive price is, by the rule the invoice was drafted with (its seller's), so that
    per rate each category's tax is its net x rate within a minor unit (EN 16931)."""
    lines = list(invoice.lines.all())
    credited = _credited_per_line(invoice)
    left = [_left_on_line(line, credited) for line in lines]
    remaining = [net + tax for net, tax in left]
    parts = split(gross, [max(r, Decimal(0)) for r in remaining], invoice.currency)
    taxes = included_taxes(
        parts, [line.tax_percent for line in lines], invoice.currency, invoice.tax_rounding
    )
    result = []
    for line, part, tax, (left_net, left_tax) in zip(lines, parts, taxes, left, strict=True):
        if part == 0:
            continue
        net = part - tax
        if part == left_net + left_tax:
            net, tax = left_net, left_tax
        result.append(
            CreditNoteLine(
                invoice_line=line, description=line.description, amount=net, tax_amount=tax
            )
        )
    return result


def _lines_by_line(invoice: Invoice, inputs: Sequence[CreditLineInput]) -> list[CreditNoteLine]:
    """Each input's amount is what the customer gets back on that line as the invoice
    priced it: net (tax added at the line's rate) on a tax-exclusive invoice, gross on a
    tax-inclusive one (split into net and tax), both by the invoice's rounding rule (its
    seller's when it was drafted), like its lines were."""
    credited = _credited_per_line(invoice)
    for index, item in enumerate(inputs):
        if item.invoice_line.invoice_id != invoice.pk:
            raise DomainValidationError(
                field=f"lines[{index}].invoice_line",
                code=BillingError.NOT_ON_INVOICE,
                message="That line belongs to another invoice.",
            )
        if item.amount <= 0 or not is_rounded(item.amount, invoice.currency):
            raise DomainValidationError(
                field=f"lines[{index}].amount",
                code=BillingError.INVALID_AMOUNT,
                message=_amount_problem(item.amount, invoice),
            )
    amounts = [item.amount for item in inputs]
    percents = [item.invoice_line.tax_percent for item in inputs]
    if invoice.prices_include_tax:
        included = included_taxes(amounts, percents, invoice.currency, invoice.tax_rounding)
    else:
        added = line_taxes(amounts, percents, invoice.currency, invoice.tax_rounding)
    result = []
    for index, item in enumerate(inputs):
        line = item.invoice_line
        left_net, left_tax = _left_on_line(line, credited)
        left = left_net + left_tax
        if invoice.prices_include_tax:
            net, tax = _inclusive_credit(item.amount, included[index], left_net, left_tax)
        else:
            net, tax = item.amount, added[index]
            if item.amount == left_net:  # the rest of the line: its own tax, to the cent
                tax = left_tax
        if net + tax > left:
            raise DomainValidationError(
                field=f"lines[{index}].amount",
                code=BillingError.EXCEEDS_LINE,
                message=f"Crediting {net} + tax {tax} exceeds what is left on the line ({left}).",
            )
        result.append(
            CreditNoteLine(
                invoice_line=line, description=line.description, amount=net, tax_amount=tax
            )
        )
    return result


def _inclusive_credit(
    gross: Decimal, tax: Decimal, left_net: Decimal, left_tax: Decimal
) -> tuple[Decimal, Decimal]:
    """(net, tax) of a gross credited on a tax-inclusive line. The rest of the line gets
    back exactly its own net and tax. A part close to it may split a cent more tax (or net)
    than the line has left, as the invoice's rule shared its cents: that cent moves to the
    other side, so net + tax is still the gross and neither side goes below zero."""
    if gross == left_net + left_tax:
        return left_net, left_tax
    if tax > left_tax:
        tax = left_tax
    elif gross - tax > left_net:
        tax = gross - left_net
    return gross - tax, tax


def _issue(
    invoice: Invoice,
    lines: list[CreditNoteLine],
    *,
    actor,
    reason: str,
    credit_date: date,
    voids: bool,
    document_type: str = DocumentType.CREDIT_NOTE,
) -> CreditNote:
    """`document_type` names the number series: a write-off is a credit-like document in
    its own series (billing.writeoffs), with no customer-facing hooks (PDF, Stripe)."""
    net = sum((line.amount for line in lines), Decimal(0))
    tax = sum((line.tax_amount for line in lines), Decimal(0))
    total = net + tax
    uncredited = invoice.total_amount - credited_by_notes(invoice)
    if total > uncredited:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_INVOICE,
            message=f"Crediting {format_money(total, invoice.currency)} exceeds the "
            f"{format_money(uncredited, invoice.currency)} not yet credited on {invoice.number}.",
        )
    # What the invoice no longer owes (it was paid) stays with the customer as credit.
    on_account = max(total - max(invoice.open_amount, Decimal(0)), Decimal(0))
    note = CreditNote(
        legal_entity=invoice.legal_entity,
        invoice=invoice,
        number=next_document_number(
            legal_entity=invoice.legal_entity,
            document_type=document_type,
            year=credit_date.year,
            dated=("credit_date", credit_date),
        ),
        currency=invoice.currency,
        credit_date=credit_date,
        reason=reason,
        subtotal_amount=net,
        tax_amount=tax,
        total_amount=total,
        is_void_of_invoice=voids,
        on_account_amount=on_account,
        created_by=actor_or_none(actor),
    )
    audit_next_save(note, actor=actor, reason=None)
    note.save()
    for line in lines:
        line.credit_note = note
    CreditNoteLine.objects.bulk_create(lines)
    invoice.credited_amount += total - on_account
    refresh_settlement(invoice)
    note_id = note.pk
    # A write-off is numbered like a credit note but goes to no processor.
    is_credit_note = document_type == DocumentType.CREDIT_NOTE
    for hook in ON_CREDIT_NOTE_IN_TRANSACTION if is_credit_note else []:
        hook(note_id)
    for hook in ON_CREDIT_NOTE if is_credit_note else []:
        transaction.on_commit(lambda hook=hook: hook(note_id))
    return note


def credited_by_notes(invoice: Invoice) -> Decimal:
    """Everything credited *against* this invoice by its own notes, whether it reduced
    the invoice or went on account: no more than the invoice's total can be credited."""
    return CreditNote.objects.filter(invoice=invoice).aggregate(t=Sum("total_amount"))[
        "t"
    ] or Decimal(0)


def _locked_issued(invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.NOT_ISSUED,
            message=f"Only an issued invoice can be credited; this one is {invoice.status}.",
        )
    return invoice


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=BillingError.REQUIRED, message="Give a reason."
        )
    return reason


@transaction.atomic(durable=True)
def issue_credit_note(
    *,
    invoice: Invoice,
    actor,
    reason: str,
    amount: Decimal | None = None,
    lines: Sequence[CreditLineInput] | None = None,
    credit_date: date | None = None,
    approval=None,
) -> CreditNote:
    """Partial or full credit: either a gross `amount` spread over the lines, or `lines`.
    Above the credit note threshold (off unless set) a person's credit note needs a
    second person's `approval` (billing.writeoffs.gate)."""
    reason = _require_reason(reason)
    if credit_date is not None:
        check_document_date(
            credit_date, field="credit_date", what="credit note date", last_issued=None
        )
    invoice = _locked_issued(invoice)
    if (amount is None) == (lines is None):
        raise DomainValidationError(
            field="amount",
            code=BillingError.AMOUNT_OR_LINES,
            message="Credit either an amount or specific lines, not both or neither.",
        )
    if amount is not None:
        if amount <= 0 or not is_rounded(amount, invoice.currency):
            raise DomainValidationError(
                field="amount",
                code=BillingError.INVALID_AMOUNT,
                message=_amount_problem(amount, invoice),
            )
        if amount > invoice.total_amount - credited_by_notes(invoice):
            raise DomainValidationError(
                field="amount",
                code=BillingError.EXCEEDS_INVOICE,
                message=f"{amount} exceeds what is left to credit on {invoice.number}.",
            )
        note_lines = _lines_by_amount(invoice, amount)
    else:
        note_lines = _lines_by_line(invoice, lines)
    approval = gate.check_approval(
        kind="credit_note",
        source_id=invoice.pk,
        amount=sum((line.amount + line.tax_amount for line in note_lines), Decimal(0)),
        currency=invoice.currency,
        actor=actor,
        approval=approval,
    )
    note = _issue(
        invoice,
        note_lines,
        actor=actor,
        reason=reason,
        credit_date=credit_date or timezone.localdate(),
        voids=False,
    )
    audit_next_save(invoice, actor=actor, reason=f"invoice.credited:{note.number}")
    invoice.save()
    gate.complete(approval, actor=actor, result=note)
    return note


@transaction.atomic(durable=True)
def void_invoice(*, invoice: Invoice, actor, reason: str) -> CreditNote:
    """Voiding an issued invoice credits everything not yet credited, in one note."""
    reason = _require_reason(reason)
    invoice = _locked_issued(invoice)
    if invoice.paid_amount > 0:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.HAS_PAYMENTS,
            message=f"{invoice.number} has payments applied; reverse them before voiding.",
        )
    if invoice.credit_applications.aggregate(t=Sum("amount"))["t"]:  # net of reversals
        raise DomainValidationError(
            field="invoice",
            code=BillingError.HAS_CREDIT_APPLIED,
            message=f"Credit from other credit notes was applied to {invoice.number}; "
            "reverse those applications before voiding.",
        )
    left_on_account = invoice.credit_notes.filter(on_account_amount__gt=0).first()
    if left_on_account:
        # Its credit went to the customer, not to this invoice: a void would leave the
        # invoice owing that part. Credit the rest with an ordinary credit note instead.
        raise DomainValidationError(
            field="invoice",
            code=BillingError.CREDIT_ON_ACCOUNT,
            message=f"{left_on_account.number} left credit on account rather than on "
            f"{invoice.number}; credit what is left with a credit note instead of voiding.",
        )
    remaining = invoice.total_amount - credited_by_notes(invoice)
    if remaining <= 0:
        raise DomainValidationError(
            field="invoice",
            code=BillingError.NOTHING_TO_CREDIT,
            message="Nothing is left to credit.",
        )
    # A void is a credit note for what is left: the same two-person rule holds. Above the
    # threshold the way is a credit note for that amount, asked for on Approvals.
    gate.check_approval(
        kind="credit_note",
        source_id=invoice.pk,
        amount=remaining,
        currency=invoice.currency,
        actor=actor,
        approval=None,
    )
    note = _issue(
        invoice,
        _lines_by_amount(invoice, remaining),
        actor=actor,
        reason=f"Void: {reason}",
        credit_date=timezone.localdate(),
        voids=True,
    )
    invoice.transition_to(InvoiceStatus.VOID)
    invoice.voided_at = timezone.now()
    audit_next_save(invoice, actor=actor, reason=f"invoice.voided:{note.number}")
    invoice.save()
    return note


def _amount_problem(amount: Decimal, invoice: Invoice) -> str:
    """Why a credit amount is refused, in the user's words (decimals, not minor units)."""
    if amount <= 0:
        return "The credit must be above zero."
    currency = invoice.currency
    return f"{amount} has more decimals than {currency} allows ({minor_unit(currency)})."


@dataclass(frozen=True)
class CreditEffect:
    """What a credit note or a void would do, shown for confirmation before it is done."""

    action: str  # "credit" or "void"
    amount: Decimal
    currency: str
    open_before: Decimal
    open_after: Decimal
    on_account: Decimal  # the part above the open balance, left as credit on account
    stripe: str  # what would be sent to Stripe, in words


def credit_effect(*, invoice: Invoice, amount: Decimal | None) -> CreditEffect:
    """The effect of crediting `amount` (or of a void, with `amount=None`) on `invoice`.
    Writes nothing; refuses an amount the service would refuse, naming the field."""
    from billing.selectors.online_payment import stripe_invoice_status

    currency = invoice.currency
    left_to_credit = invoice.total_amount - credited_by_notes(invoice)
    if amount is not None and (amount <= 0 or not is_rounded(amount, currency)):
        raise DomainValidationError(
            field="amount",
            code=BillingError.INVALID_AMOUNT,
            message=_amount_problem(amount, invoice),
        )
    if amount is not None and amount > left_to_credit:
        raise DomainValidationError(
            field="amount",
            code=BillingError.EXCEEDS_INVOICE,
            message=f"{amount} exceeds what is left to credit on {invoice.number}.",
        )
    action = "credit" if amount is not None else "void"
    amount = left_to_credit if amount is None else amount
    open_before = invoice.open_amount
    open_after = Decimal(0) if action == "void" else max(open_before - amount, Decimal(0))
    on_account = Decimal(0) if action == "void" else max(amount - open_before, Decimal(0))
    stripe = stripe_invoice_status(invoice)
    if stripe is None or not stripe.stripe_invoice_id:
        stripe_text = "Nothing: this invoice is not in Stripe."
    elif action == "void":
        stripe_text = f"The Stripe invoice {stripe.stripe_invoice_id} is voided."
    else:
        stripe_text = (
            f"A Stripe credit note of {format_money(amount, currency)} on "
            f"{stripe.stripe_invoice_id}; any part above what Stripe still has open is "
            "recorded there as credited outside Stripe."
        )
    return CreditEffect(
        action=action,
        amount=amount,
        currency=currency,
        open_before=open_before,
        open_after=open_after,
        on_account=on_account,
        stripe=stripe_text,
    )
