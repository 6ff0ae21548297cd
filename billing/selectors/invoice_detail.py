"""One invoice: its lines with "why this amount", tax groups, credit notes, credit
and payments applied, and its history."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from billing.models import (
    CreditApplication,
    CreditNote,
    Invoice,
    InvoiceLine,
    PaymentApplication,
)
from core.money import is_rounded

from .common import admin_url, money
from .invoices import is_overdue, open_shown
from .online_payment import StripeInvoiceStatus, pay_online_url, stripe_invoice_status

# --- One invoice and why each amount is what it is -----------------------------------


@dataclass(frozen=True)
class WhyRow:
    label: str
    text: str
    url: str = ""


@dataclass
class LineWhy:
    line: InvoiceLine
    amount: str
    tax: str
    unit_price: str
    quantity: str
    discount_percent: str
    tax_percent: str
    summary: str
    rows: list[WhyRow]


KIND_LABELS = {
    "recurring": "Subscription period",
    "one_time": "One-time fee",
    "usage": "Usage in arrears",
    "installment": "Installment",
}


def _plain_decimal(value) -> str:
    return f"{Decimal(str(value)).normalize():f}"


def _unit_price(price: Decimal, currency: str) -> str:
    """Unit prices may carry more decimals than the currency; show them all then."""
    if is_rounded(price, currency):
        return money(price, currency)
    return f"{currency} {_plain_decimal(price)}"


def explain_line(line: InvoiceLine, currency: str) -> LineWhy:
    """The "why this amount" trail of one invoice line, from its frozen explanation
    (copied from the schedule line at billing time) and the records it points to."""
    why = line.explanation or {}
    rows: list[WhyRow] = []
    contract_line = line.contract_line
    if contract_line is not None:
        contract = contract_line.contract
        product = contract_line.product
        terms = (
            f"{_plain_decimal(contract_line.quantity)} × "
            f"{_unit_price(contract_line.unit_price, contract.currency)}"
        )
        if contract_line.discount_percent:
            terms += f", {_plain_decimal(contract_line.discount_percent)}% discount"
        rows.append(
            WhyRow(
                "Contract line",
                f"{contract.reference} · {product.sku} {product.name} ({terms})",
                admin_url(contract_line),
            )
        )
    schedule = line.schedule_line
    if schedule is not None:
        rows.append(
            WhyRow(
                "Schedule line",
                f"#{schedule.pk}: {KIND_LABELS.get(schedule.kind, schedule.kind)} "
                f"{schedule.sequence}, billing date {schedule.billing_date:%d %b %Y}",
                admin_url(schedule),
            )
        )
    if why.get("source"):
        rows.append(WhyRow("Source", str(why["source"]).capitalize()))
    if line.period_start and line.period_end:
        period = f"{line.period_start:%d %b %Y} – {line.period_end:%d %b %Y}"
        if why.get("period_months"):
            months = why["period_months"]
            period += f" (a {months}-month billing period)"
        rows.append(WhyRow("Service period", period))
    if why.get("ramp_step"):
        rows.append(WhyRow("Ramp step", str(why["ramp_step"])))
    if why.get("formula"):
        rows.append(WhyRow("Formula", str(why["formula"])))
    if why.get("prorated"):
        rows.append(WhyRow("Proration", f"Partial period, {why.get('day_count')}"))
    elif "days" in why and why.get("period_days"):
        named = f", {why['convention']}" if why.get("convention") else ""
        rows.append(WhyRow("Day count", f"Full period ({why['days']} days{named})"))
    if why.get("usage_quantity") is not None:
        rows.append(
            WhyRow(
                "Recorded usage",
                f"{_plain_decimal(why['usage_quantity'])} units in the service period",
            )
        )
    for label, text in why.get("steps") or []:  # usage: tiers, drawdowns, true-ups
        rows.append(WhyRow(str(label), str(text)))
    if why.get("exact") and why.get("amount") is not None:
        exact = Decimal(why["exact"])
        rounded = Decimal(why["amount"])
        if exact != rounded:
            rows.append(
                WhyRow(
                    "Rounding",
                    f"Exact {_plain_decimal(exact)}, rounded once to {money(rounded, currency)}",
                )
            )
    if why.get("rounding"):
        rows.append(WhyRow("Remainder", str(why["rounding"])))
    included = why.get("tax_inclusive")
    if included:  # the contract's price is gross: net and tax were split from it
        rows.append(
            WhyRow(
                "Tax included",
                f"Gross {money(Decimal(included['gross']), currency)} at "
                f"{included['tax_percent']}%, split {included['rule_text']}: net "
                f"{money(Decimal(included['net']), currency)}, tax "
                f"{money(Decimal(included['tax']), currency)}",
            )
        )
    if why.get("line_total"):
        rows.append(WhyRow("Whole line over the term", money(why["line_total"], currency)))
    summary = str(why.get("formula") or line.description)
    return LineWhy(
        line=line,
        amount=money(line.amount, currency),
        tax=money(line.tax_amount, currency),
        unit_price=_unit_price(line.unit_price, currency),
        quantity=_plain_decimal(line.quantity),
        discount_percent=_plain_decimal(line.discount_percent),
        tax_percent=_plain_decimal(line.tax_percent),
        summary=summary,
        rows=rows,
    )


@dataclass(frozen=True)
class TaxGroup:
    percent: str
    name: str
    base: str
    tax: str


@dataclass(frozen=True)
class HistoryEntry:
    when: object
    user: str
    reason: str
    kind: str
    changes: list[str]


@dataclass
class CreditNoteRow:
    note: CreditNote
    total: str
    on_account: str  # blank when the whole credit reduced the invoice


@dataclass(frozen=True)
class CreditAppliedRow:
    """Credit on account from a credit note (of this or another invoice) applied here."""

    application: CreditApplication
    amount: str


@dataclass(frozen=True)
class ApplicationRow:
    application: PaymentApplication
    amount: str


def invoice_applications(invoice: Invoice) -> list[ApplicationRow]:
    """Payments applied to the invoice, reversals included (negative), by date."""
    return [
        ApplicationRow(application=a, amount=money(a.amount, invoice.currency))
        for a in invoice.applications.select_related("payment", "created_by").order_by(
            "applied_date", "id"
        )
    ]


@dataclass
class InvoiceDetail:
    invoice: Invoice
    lines: list[LineWhy]
    tax_groups: list[TaxGroup]
    subtotal: str
    tax: str
    total: str
    credited: str
    paid: str
    open: str
    overdue: bool
    credit_notes: list[CreditNoteRow]
    credit_applied: list[CreditAppliedRow]
    corrections: list[Invoice]
    history: list[HistoryEntry]
    stripe: StripeInvoiceStatus | None = None
    pay_online_url: str = ""


HISTORY_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}
HISTORY_IGNORED_FIELDS = ["updated_at", "created_at"]


def _history_value(value, currency: str) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, Decimal):
        return money(value, currency)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return text if len(text) <= 40 else f"{text[:16]}…"


def invoice_history(invoice: Invoice) -> list[HistoryEntry]:
    """simple-history records, oldest first, each with the fields it changed."""
    records = list(invoice.history.select_related("history_user").order_by("history_date", "pk"))
    entries = []
    previous = None
    for record in records:
        changes: list[str] = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=HISTORY_IGNORED_FIELDS)
            for change in delta.changes:
                old = _history_value(change.old, invoice.currency)
                new = _history_value(change.new, invoice.currency)
                changes.append(f"{change.field}: {old} → {new}")
        user = record.history_user
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=user.get_username() if user else "system",
                reason=record.history_change_reason or "",
                kind=HISTORY_TYPES.get(record.history_type, record.history_type),
                changes=changes,
            )
        )
        previous = record
    return entries


def invoice_with_related(pk: int) -> Invoice:
    return Invoice.objects.select_related(
        "account", "contract", "legal_entity", "replaces", "billing_run"
    ).get(pk=pk)


def invoice_detail(invoice: Invoice) -> InvoiceDetail:
    currency = invoice.currency
    lines = list(
        invoice.lines.select_related(
            "schedule_line",
            "contract_line__product",
            "contract_line__contract",
            "tax_rate",
        ).order_by("position", "id")
    )
    groups: dict[Decimal, dict] = defaultdict(lambda: {"base": Decimal(0), "tax": Decimal(0)})
    names: dict[Decimal, str] = {}
    for line in lines:
        groups[line.tax_percent]["base"] += line.amount
        groups[line.tax_percent]["tax"] += line.tax_amount
        if line.tax_rate is not None:
            names[line.tax_percent] = line.tax_rate.name
    tax_groups = [
        TaxGroup(
            percent=_plain_decimal(percent),
            name=names.get(percent, "Tax exempt" if invoice.tax_exempt else "No tax"),
            base=money(values["base"], currency),
            tax=money(values["tax"], currency),
        )
        for percent, values in sorted(groups.items())
    ]
    notes = [
        CreditNoteRow(
            note=note,
            total=money(note.total_amount, note.currency),
            on_account=money(note.on_account_amount, currency) if note.on_account_amount else "",
        )
        for note in invoice.credit_notes.select_related("created_by").order_by("credit_date", "id")
    ]
    credit_applied = [
        CreditAppliedRow(application=a, amount=money(a.amount, currency))
        for a in invoice.credit_applications.select_related("credit_note").order_by(
            "applied_date", "id"
        )
    ]
    return InvoiceDetail(
        invoice=invoice,
        lines=[explain_line(line, currency) for line in lines],
        tax_groups=tax_groups,
        subtotal=money(invoice.subtotal_amount, currency),
        tax=money(invoice.tax_amount, currency),
        total=money(invoice.total_amount, currency),
        # A draft's panel shows the draft's own totals; credits, payments and an open
        # balance begin at issue, as on the invoice list.
        credited="—" if invoice.is_draft else money(invoice.credited_amount, currency),
        paid="—" if invoice.is_draft else money(invoice.paid_amount, currency),
        open=open_shown(invoice),
        overdue=is_overdue(invoice),
        credit_notes=notes,
        credit_applied=credit_applied,
        corrections=list(invoice.corrections.order_by("id")),
        history=invoice_history(invoice),
        stripe=stripe_invoice_status(invoice),
        pay_online_url=pay_online_url(invoice),
    )
