"""Reads for the billing pages and API: invoice lists, the "why this amount" trail,
billing run summaries and a customer's billing timeline. No writes here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Min,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    BillingRun,
    BillingRunException,
    BillingRunStatus,
    BillingScheduleLine,
    CreditApplication,
    CreditNote,
    CreditRefund,
    ExceptionReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentApplication,
    ScheduleLineStatus,
    SettlementStatus,
)
from billing.money import format_money, is_rounded
from ordermgmt.models import Account, Contract


def money(amount: Decimal | str | None, currency: str) -> str:
    """Display an amount with its currency's own decimals ("$1,234.50", "¥1,235")."""
    if amount is None or amount == "":
        return "—"
    return format_money(Decimal(amount), currency)


def admin_url(instance, action: str = "change") -> str:
    meta = instance._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[instance.pk])


# --- Invoice list -----------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    status: str = ""
    settlement: str = ""
    currency: str = ""
    account: str = ""  # an account id (digits) or part of its name
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    search: str = ""


def overdue_q(today: date | None = None) -> Q:
    """Issued, not fully settled and past its due date."""
    today = today or timezone.localdate()
    return Q(status=InvoiceStatus.ISSUED, due_date__lt=today) & ~Q(
        settlement_status=SettlementStatus.PAID
    )


def invoices_for_list(filters: InvoiceFilters) -> QuerySet[Invoice]:
    queryset = Invoice.objects.select_related("account", "contract")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.settlement:
        queryset = queryset.filter(settlement_status=filters.settlement)
    if filters.currency:
        queryset = queryset.filter(currency=filters.currency)
    if filters.account.isdigit():
        queryset = queryset.filter(account_id=int(filters.account))
    elif filters.account:
        queryset = queryset.filter(account__legal_name__icontains=filters.account)
    if filters.date_from:
        queryset = queryset.filter(invoice_date__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(invoice_date__lte=filters.date_to)
    if filters.overdue:
        queryset = queryset.filter(overdue_q())
    if filters.search:
        term = filters.search.strip()
        queryset = queryset.filter(
            Q(number__icontains=term)
            | Q(account__legal_name__icontains=term)
            | Q(buyer_name__icontains=term)
            | Q(po_number__icontains=term)
        )
    return queryset.order_by("-invoice_date", "-id")


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    invoices: int
    invoiced: str
    open: str


_MONEY = DecimalField(max_digits=19, decimal_places=4)


def totals_by_currency(queryset: QuerySet[Invoice]) -> list[CurrencyTotal]:
    """Per currency: how many invoices, what they bill (void ones aside) and what is
    still open on the issued ones. Amounts in different currencies are never added."""
    rows = (
        queryset.order_by()
        .values("currency")
        .annotate(
            count=Count("id"),
            invoiced=Sum(
                Case(
                    When(status=InvoiceStatus.VOID, then=Value(Decimal(0))),
                    default=F("total_amount"),
                    output_field=_MONEY,
                )
            ),
            open=Sum(
                Case(
                    When(
                        status=InvoiceStatus.ISSUED,
                        then=F("total_amount") - F("credited_amount") - F("paid_amount"),
                    ),
                    default=Value(Decimal(0)),
                    output_field=_MONEY,
                )
            ),
        )
        .order_by("currency")
    )
    return [
        CurrencyTotal(
            currency=row["currency"],
            invoices=row["count"],
            invoiced=money(row["invoiced"] or 0, row["currency"]),
            open=money(row["open"] or 0, row["currency"]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    total: str
    open: str
    overdue: bool


def invoice_rows(invoices, today: date | None = None) -> list[InvoiceRow]:
    today = today or timezone.localdate()
    return [
        InvoiceRow(
            invoice=invoice,
            total=money(invoice.total_amount, invoice.currency),
            open=money(invoice.open_amount, invoice.currency),
            overdue=is_overdue(invoice, today),
        )
        for invoice in invoices
    ]


def is_overdue(invoice: Invoice, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        invoice.status == InvoiceStatus.ISSUED
        and invoice.settlement_status != SettlementStatus.PAID
        and invoice.due_date < today
    )


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
        rows.append(WhyRow("Day count", f"Full period ({why['days']} days)"))
    if why.get("usage_quantity") is not None:
        rows.append(
            WhyRow(
                "Recorded usage",
                f"{_plain_decimal(why['usage_quantity'])} units in the service period",
            )
        )
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
        credited=money(invoice.credited_amount, currency),
        paid=money(invoice.paid_amount, currency),
        open=money(invoice.open_amount, currency),
        overdue=is_overdue(invoice),
        credit_notes=notes,
        credit_applied=credit_applied,
        corrections=list(invoice.corrections.order_by("id")),
        history=invoice_history(invoice),
    )


# --- Billing runs ----------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    run: BillingRun
    invoices: int  # made by a run; planned by a preview
    open_exceptions: int


def recent_runs(limit: int = 20) -> list[RunRow]:
    runs = (
        BillingRun.objects.select_related("created_by")
        .annotate(open_exceptions=Count("exceptions", filter=Q(exceptions__resolved=False)))
        .order_by("-created_at", "-id")[:limit]
    )
    rows = []
    for run in runs:
        planned = sum(
            v.get("invoices", 0) for v in ((run.totals or {}).get("by_currency") or {}).values()
        )
        rows.append(
            RunRow(
                run=run,
                invoices=planned if run.dry_run else run.invoices_created,
                open_exceptions=run.open_exceptions,
            )
        )
    return rows


def open_run_exceptions(limit: int = 50) -> QuerySet[BillingRunException]:
    return (
        BillingRunException.objects.filter(resolved=False)
        .select_related("account", "contract", "billing_run")
        .order_by("-billing_run__created_at", "reason", "account__legal_name")[:limit]
    )


def run_progress(run: BillingRun) -> dict:
    finished = run.status in {BillingRunStatus.COMPLETED, BillingRunStatus.FAILED}
    done = min(run.groups_done, run.groups_total) if run.groups_total else run.groups_done
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "dry_run": run.dry_run,
        "groups_done": done,
        "groups_total": run.groups_total,
        "percent": min(run.progress_percent, 100),
        "invoices_created": run.invoices_created,
        "lines_billed": run.lines_billed,
        "finished": finished,
        "error": run.error,
    }


@dataclass(frozen=True)
class ExceptionFix:
    label: str
    url: str


def exception_fix(exception: BillingRunException) -> ExceptionFix:
    """Where a specialist fixes what made the run skip a contract."""
    reason = exception.reason
    if reason == ExceptionReason.NO_BILLING_CONTACT:
        return ExceptionFix("Add a billing contact", admin_url(exception.account))
    if reason == ExceptionReason.NO_TAX_RATE:
        account = exception.account
        prefill = {"country": account.billing_country, "region": account.billing_region}
        query = urlencode({k: v for k, v in prefill.items() if v})
        return ExceptionFix("Add a tax rate", f"{reverse('admin:billing_taxrate_add')}?{query}")
    if reason == ExceptionReason.NO_LEGAL_ENTITY:
        return ExceptionFix("Set up a legal entity", reverse("admin:billing_legalentity_add"))
    if reason == ExceptionReason.BILLING_HOLD:
        return ExceptionFix("Review the billing hold", admin_url(exception.contract))
    return ExceptionFix("Open the contract", admin_url(exception.contract))


@dataclass
class ExceptionRow:
    exception: BillingRunException
    fix: ExceptionFix


@dataclass
class PreviewRow:
    contract_id: int
    reference: str
    account: str
    currency: str
    lines: list[tuple[str, str]]
    subtotal: str
    tax: str
    total: str
    skipped: str
    message: str


@dataclass
class RunSummary:
    run: BillingRun
    by_currency: list[tuple[str, int, str]]
    skipped: list[tuple[str, int]]
    exceptions: list[ExceptionRow]
    invoices: list[InvoiceRow]
    preview: list[PreviewRow]
    changes: dict
    previous_preview: BillingRun | None = None
    open_exception_count: int = 0
    reasons: dict = field(default_factory=dict)


def _preview_rows(run: BillingRun) -> list[PreviewRow]:
    reasons = dict(ExceptionReason.choices)
    rows = []
    for row in run.preview or []:
        currency = row.get("currency", "")
        rows.append(
            PreviewRow(
                contract_id=row.get("contract"),
                reference=row.get("reference", ""),
                account=row.get("account", ""),
                currency=currency,
                lines=[
                    (line["description"], money(line["amount"], currency))
                    for line in row.get("lines", [])
                ],
                subtotal=money(row.get("subtotal"), currency),
                tax=money(row.get("tax"), currency),
                total=money(row.get("total"), currency),
                skipped=reasons.get(row.get("skipped", ""), row.get("skipped", "")),
                message=row.get("message", ""),
            )
        )
    return sorted(rows, key=lambda r: (bool(r.skipped), r.account, r.reference))


def _display_change(value: str | None, currency_by_ref: dict, item: dict) -> str:
    """A preview change is a total ("2000.00") or a skip reason ("billing_hold"), in the
    currency of the contract it is about."""
    reasons = dict(ExceptionReason.choices)
    if value is None:
        return "—"
    if value in reasons:
        return f"skipped: {reasons[value]}"
    currency = currency_by_ref.get(item["reference"])
    try:
        return money(value, currency) if currency else value
    except ArithmeticError:
        return value


def run_summary(run: BillingRun) -> RunSummary:
    reasons = dict(ExceptionReason.choices)
    totals = run.totals or {}
    by_currency = [
        (currency, values["invoices"], money(values["total"], currency))
        for currency, values in (totals.get("by_currency") or {}).items()
    ]
    skipped = [
        (reasons.get(reason, reason), count)
        for reason, count in (totals.get("skipped") or {}).items()
    ]
    exceptions = [
        ExceptionRow(exception=e, fix=exception_fix(e))
        for e in run.exceptions.select_related("account", "contract").order_by(
            "resolved", "reason", "account__legal_name"
        )
    ]
    invoices = invoice_rows(run.invoices.select_related("account", "contract").order_by("id"))
    changes: dict = {}
    previous = None
    if run.dry_run and run.changes_since_last_preview:
        raw = run.changes_since_last_preview
        currency_by_ref = {row.get("reference"): row.get("currency") for row in run.preview or []}
        if raw.get("previous_preview"):
            previous = BillingRun.objects.filter(pk=raw["previous_preview"]).first()
        changes = {
            "first": raw.get("previous_preview") is None,
            "added": raw.get("added", []),
            "removed": raw.get("removed", []),
            "changed": [
                {
                    "reference": item["reference"],
                    "before": _display_change(item.get("before"), currency_by_ref, item),
                    "after": _display_change(item.get("after"), currency_by_ref, item),
                }
                for item in raw.get("changed", [])
            ],
        }
    return RunSummary(
        run=run,
        by_currency=by_currency,
        skipped=skipped,
        exceptions=exceptions,
        invoices=invoices,
        preview=_preview_rows(run) if run.dry_run else [],
        changes=changes,
        previous_preview=previous,
        open_exception_count=sum(1 for e in exceptions if not e.exception.resolved),
        reasons=reasons,
    )


# --- A customer's billing on one timeline ------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: date
    kind: str  # scheduled | billed | invoice | credit_note | payment
    title: str
    detail: str
    amount: str
    url: str
    status: str = ""
    contract: str = ""


# Within one day: what was planned, then the invoice, then what reduced it.
KIND_ORDER = {"scheduled": 0, "billed": 1, "invoice": 2, "credit_note": 3, "payment": 4}


@dataclass
class ContractSummary:
    contract: Contract
    value: str
    billed: str
    pending: str
    lines_billed: int
    lines_pending: int
    next_billing_date: date | None


@dataclass
class CurrencyBalance:
    currency: str
    invoiced: str
    credited: str
    open: str
    overdue: str


@dataclass
class AccountTimeline:
    account: Account
    contracts: list[ContractSummary]
    balances: list[CurrencyBalance]
    entries: list[TimelineEntry]
    today: date
    today_index: int  # entries before it are in the past
    payments_shown: bool


def _schedule_entries(lines) -> list[TimelineEntry]:
    entries = []
    for line in lines:
        invoice = line.invoice_line.invoice if line.invoice_line_id else None
        product = line.contract_line.product
        period = f"{line.period_start:%d %b %Y} – {line.period_end:%d %b %Y}"
        if line.status == ScheduleLineStatus.BILLED and invoice is not None:
            kind, url = "billed", reverse("billing:invoice_detail", args=[invoice.pk])
            status = f"Billed on {invoice.number or 'draft #' + str(invoice.pk)}"
        elif line.status == ScheduleLineStatus.BILLED:
            kind, url, status = "billed", "", "Billed (nothing to invoice)"
        elif line.status == ScheduleLineStatus.CANCELLED:
            kind, url, status = "scheduled", "", "Cancelled"
        else:
            kind, url, status = "scheduled", "", "Not billed yet"
        entries.append(
            TimelineEntry(
                when=line.billing_date,
                kind=kind,
                title=f"{product.name}: {KIND_LABELS.get(line.kind, line.kind).lower()}",
                detail=period,
                amount=money(line.amount, line.currency) if line.amount is not None else "usage",
                url=url,
                status=status,
                contract=line.contract.reference,
            )
        )
    return entries


def _invoice_entries(invoices) -> list[TimelineEntry]:
    entries = []
    for invoice in invoices:
        reference = invoice.contract.reference if invoice.contract_id else ""
        detail = (
            f"Due {invoice.due_date:%d %b %Y} · open {money(invoice.open_amount, invoice.currency)}"
        )
        if invoice.replaces_id:
            detail += f" · corrects {invoice.replaces.number}"
        entries.append(
            TimelineEntry(
                when=invoice.invoice_date,
                kind="invoice",
                title=f"Invoice {invoice.number or 'DRAFT #' + str(invoice.pk)}",
                detail=detail,
                amount=money(invoice.total_amount, invoice.currency),
                url=reverse("billing:invoice_detail", args=[invoice.pk]),
                status=invoice.get_status_display()
                + ("" if invoice.is_draft else f", {invoice.get_settlement_status_display()}"),
                contract=reference,
            )
        )
    return entries


def _credit_note_detail(note: CreditNote) -> str:
    detail = f"On {note.invoice.number}: {note.reason}"
    if note.on_account_amount:
        detail += f" · {money(note.on_account_amount, note.currency)} left on account"
    return detail


def _credit_note_entries(notes) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            when=note.credit_date,
            kind="credit_note",
            title=f"Credit note {note.number}",
            detail=_credit_note_detail(note),
            amount="−" + money(note.total_amount, note.currency),
            url=reverse("billing:credit_note_detail", args=[note.pk]),
            status="Void of the invoice" if note.is_void_of_invoice else "",
            contract=note.invoice.contract.reference if note.invoice.contract_id else "",
        )
        for note in notes
    ]


def _credit_on_account_entries(account: Account, contract: Contract | None):
    """Credit on account applied to invoices (reversals negative) and refunded."""
    applications = CreditApplication.objects.filter(
        credit_note__invoice__account=account
    ).select_related("credit_note", "invoice")
    refunds = CreditRefund.objects.filter(credit_note__invoice__account=account).select_related(
        "credit_note"
    )
    if contract is not None:
        applications = applications.filter(invoice__contract=contract)
        refunds = refunds.filter(credit_note__invoice__contract=contract)
    entries = [
        TimelineEntry(
            when=a.applied_date,
            kind="credit_note",
            title=(
                f"Credit application reversed: {a.credit_note.number}"
                if a.reverses_id
                else f"Credit {a.credit_note.number} applied"
            ),
            detail=f"{'From' if a.reverses_id else 'To'} {a.invoice.number}"
            + (f": {a.reason}" if a.reason else ""),
            amount=money(a.amount, a.credit_note.currency),
            url=reverse("billing:credit_note_detail", args=[a.credit_note_id]),
        )
        for a in applications
    ]
    entries += [
        TimelineEntry(
            when=r.refund_date,
            kind="credit_note",
            title=f"Credit refunded {r.reference}",
            detail=f"Of {r.credit_note.number}: {r.reason}",
            amount=money(r.amount, r.credit_note.currency),
            url=reverse("billing:credit_note_detail", args=[r.credit_note_id]),
        )
        for r in refunds
    ]
    return entries


def _payment_entries(account: Account, contract: Contract | None) -> list[TimelineEntry]:
    """Cash received (with what it was applied to), reversed applications and refunds."""
    payments = Payment.objects.filter(account=account).prefetch_related(
        Prefetch(
            "applications",
            queryset=PaymentApplication.objects.select_related("invoice").order_by("id"),
        ),
        "refunds",
    )
    if contract is not None:
        payments = payments.filter(applications__invoice__contract=contract).distinct()
    entries = []
    for payment in payments:
        currency = payment.currency
        applied: dict[str, Decimal] = defaultdict(Decimal)
        for application in payment.applications.all():
            applied[application.invoice.number or f"draft #{application.invoice_id}"] += (
                application.amount
            )
            if application.amount < 0:
                entries.append(
                    TimelineEntry(
                        when=application.applied_date,
                        kind="payment",
                        title=f"Application reversed: {payment.reference}",
                        detail=f"From {application.invoice.number}: {application.reason}",
                        amount=money(-application.amount, currency),
                        url=reverse("billing:invoice_detail", args=[application.invoice_id]),
                    )
                )
        applied_text = ", ".join(
            f"{number} {money(amount, currency)}" for number, amount in applied.items() if amount
        )
        detail = f"Applied to {applied_text}" if applied_text else "Not applied"
        if payment.unapplied_amount:
            detail += f" · unapplied {money(payment.unapplied_amount, currency)}"
        entries.append(
            TimelineEntry(
                when=payment.received_date,
                kind="payment",
                title=f"Payment {payment.get_method_display()} {payment.reference}",
                detail=detail,
                amount="−" + money(payment.amount, currency),
                url=reverse("billing:payment_detail", args=[payment.pk]),
            )
        )
        for refund in payment.refunds.all():
            entries.append(
                TimelineEntry(
                    when=refund.refund_date,
                    kind="payment",
                    title=f"Refund {refund.reference}",
                    detail=f"Of {payment.reference}: {refund.reason}",
                    amount=money(refund.amount, currency),
                    url=reverse("billing:payment_detail", args=[payment.pk]),
                )
            )
    return entries


def account_timeline(
    account: Account, *, contract: Contract | None = None, with_payments: bool = True
) -> AccountTimeline:
    contracts = list(
        Contract.objects.filter(account=account)
        .annotate(
            scheduled_total=Sum(
                "schedule_lines__amount", filter=~Q(schedule_lines__status="cancelled")
            ),
            billed_total=Sum("schedule_lines__amount", filter=Q(schedule_lines__status="billed")),
            pending_total=Sum("schedule_lines__amount", filter=Q(schedule_lines__status="pending")),
            billed_count=Count("schedule_lines", filter=Q(schedule_lines__status="billed")),
            pending_count=Count("schedule_lines", filter=Q(schedule_lines__status="pending")),
        )
        .order_by("-start_date", "-id")
    )
    today = timezone.localdate()
    next_dates = dict(
        BillingScheduleLine.objects.filter(
            contract__account=account, status=ScheduleLineStatus.PENDING
        )
        .values_list("contract_id")
        .annotate(next=Min("billing_date"))
        .values_list("contract_id", "next")
    )
    summaries = [
        ContractSummary(
            contract=c,
            value=money(c.scheduled_total or 0, c.currency),
            billed=money(c.billed_total or 0, c.currency),
            pending=money(c.pending_total or 0, c.currency),
            lines_billed=c.billed_count,
            lines_pending=c.pending_count,
            next_billing_date=next_dates.get(c.pk),
        )
        for c in contracts
    ]

    lines = BillingScheduleLine.objects.filter(contract__account=account).select_related(
        "contract", "contract_line__product", "invoice_line__invoice"
    )
    invoices = Invoice.objects.filter(account=account).select_related("contract", "replaces")
    notes = CreditNote.objects.filter(invoice__account=account).select_related("invoice__contract")
    if contract is not None:
        lines = lines.filter(contract=contract)
        invoices = invoices.filter(contract=contract)
        notes = notes.filter(invoice__contract=contract)
    entries = [
        *_schedule_entries(lines),
        *_invoice_entries(invoices),
        *_credit_note_entries(notes),
        *(_payment_entries(account, contract) if with_payments else []),
        *(_credit_on_account_entries(account, contract) if with_payments else []),
    ]
    entries.sort(key=lambda e: (e.when, KIND_ORDER[e.kind], e.contract, e.title))
    return AccountTimeline(
        account=account,
        contracts=summaries,
        balances=account_balances(account),
        entries=entries,
        today=today,
        today_index=next((i for i, e in enumerate(entries) if e.when >= today), len(entries)),
        payments_shown=with_payments,
    )


def account_balances(account: Account) -> list[CurrencyBalance]:
    today = timezone.localdate()
    open_expr = F("total_amount") - F("credited_amount") - F("paid_amount")
    rows = (
        Invoice.objects.filter(account=account, status=InvoiceStatus.ISSUED)
        .order_by()
        .values("currency")
        .annotate(
            invoiced=Sum("total_amount"),
            credited=Sum("credited_amount"),
            open=Sum(open_expr, output_field=_MONEY),
            overdue=Sum(open_expr, filter=overdue_q(today), output_field=_MONEY),
        )
        .order_by("currency")
    )
    return [
        CurrencyBalance(
            currency=row["currency"],
            invoiced=money(row["invoiced"] or 0, row["currency"]),
            credited=money(row["credited"] or 0, row["currency"]),
            open=money(row["open"] or 0, row["currency"]),
            overdue=money(row["overdue"] or 0, row["currency"]),
        )
        for row in rows
    ]


# --- API querysets ------------------------------------------------------------------------


def invoices_for_api() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("account", "contract").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("position", "id")),
        Prefetch("credit_notes", queryset=CreditNote.objects.order_by("credit_date", "id")),
        Prefetch("corrections", queryset=Invoice.objects.only("id", "replaces_id")),
    )
