"""Billing runs: recent runs, progress, the summary with its preview and the
exceptions work list."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
)
from django.urls import reverse

from billing.models import (
    BillingRun,
    BillingRunException,
    BillingRunStatus,
    ExceptionReason,
    InvoiceDelivery,
)

from .common import admin_url, money
from .invoices import InvoiceRow, invoice_rows

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
    periods: int = 0  # more than one: a catch-up of past periods

    @property
    def is_catch_up(self) -> bool:
        return self.periods > 1


@dataclass
class RunSummary:
    run: BillingRun
    by_currency: list[tuple[str, int, str]]
    skipped: list[tuple[str, int]]
    exceptions: list[ExceptionRow]
    invoices: list[InvoiceRow]  # the page shown (RUN_INVOICES_PER_PAGE)
    preview: list[PreviewRow]
    changes: dict
    previous_preview: BillingRun | None = None
    open_exception_count: int = 0
    reasons: dict = field(default_factory=dict)
    invoice_page: Page | None = None
    invoice_counts: dict = field(default_factory=dict)  # status -> count, every invoice

    @property
    def catch_up_count(self) -> int:
        return sum(1 for row in self.preview if row.is_catch_up)


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
                periods=row.get("periods", 0),
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


def _with_totals(raw: dict, key: str) -> list[str]:
    """Added or removed contracts of a preview diff, each with its amount."""
    totals = {item["reference"]: item for item in raw.get(f"{key}_totals", [])}
    shown = []
    for reference in raw.get(key, []):
        item = totals.get(reference)
        if item is None:
            shown.append(reference)
            continue
        amount = _display_change(item.get("total"), {reference: item["currency"]}, item)
        shown.append(f"{reference}: {amount}")
    return shown


RUN_INVOICES_PER_PAGE = 100


def run_invoice_counts(run: BillingRun) -> dict[str, int]:
    """{status: invoices of the run}, one grouped query."""
    return dict(run.invoices.values_list("status").annotate(n=Count("id")).order_by("status"))


def run_invoice_ids(run: BillingRun, status: str) -> list[int]:
    """Every invoice of the run in `status`, for the page's "all" bulk actions, which post
    them in chunks (each chunk re-checked by billing.services.bulk)."""
    return list(
        run.invoices.filter(status=status)
        .order_by("invoice_date", "id")
        .values_list("id", flat=True)
    )


def run_summary(run: BillingRun, *, invoice_page: int | str | None = 1) -> RunSummary:
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
    sent = InvoiceDelivery.objects.filter(invoice=OuterRef("pk"))
    counts = run_invoice_counts(run)
    # The count is known from the grouped query: the paginator need not count again.
    paginator = Paginator(
        run.invoices.select_related("account", "contract")
        .annotate(delivery_sent=Exists(sent))
        .order_by("id"),
        RUN_INVOICES_PER_PAGE,
    )
    paginator.count = sum(counts.values())
    page = paginator.get_page(invoice_page)
    invoices = invoice_rows(page.object_list)
    changes: dict = {}
    previous = None
    if run.dry_run and run.changes_since_last_preview:
        raw = run.changes_since_last_preview
        currency_by_ref = {row.get("reference"): row.get("currency") for row in run.preview or []}
        if raw.get("previous_preview"):
            previous = BillingRun.objects.filter(pk=raw["previous_preview"]).first()
        changes = {
            "first": raw.get("previous_preview") is None,
            "added": _with_totals(raw, "added"),
            "removed": _with_totals(raw, "removed"),
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
        invoice_page=page,
        invoice_counts=counts,
    )
