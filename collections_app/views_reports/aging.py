"""The AR aging pages: report, account drill-down, exports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from core.permissions import require
from ordermgmt.models import Account

from ..reports import access, exports
from ..reports.aging import (
    AgingBasis,
    AgingReport,
    AgingSort,
    Bucket,
    aging_page,
    ar_aging,
)
from ..reports.aging_documents import (
    aging_documents,
    customer_aging,
)
from ..reports.charts import column_chart
from ..reports.forms import AgingForm
from .common import CSS, ROWS_PER_CURRENCY, _subnav, amount_text, logger

# Customer rows per page, across the currency tables (report order: currency, then the
# sort); the totals cover every customer, the exports hold every row.
ROWS_PER_PAGE = ROWS_PER_CURRENCY

# --- Aging -------------------------------------------------------------------------------


@dataclass
class DisplayRow:
    account_id: int | None
    name: str
    cells: list[str]
    credits: str
    open_total: str
    net_total: str
    overdue: bool


def _display_row(name: str, amounts, currency: str, account_id: int | None = None) -> DisplayRow:
    """`amounts`: anything with buckets, unapplied_credits, open_total, net_total."""
    return DisplayRow(
        account_id=account_id,
        name=name,
        cells=[amount_text(v, currency, blank_zero=True) for v in amounts.buckets],
        credits=amount_text(amounts.unapplied_credits, currency, blank_zero=True),
        open_total=amount_text(amounts.open_total, currency),
        net_total=amount_text(amounts.net_total, currency),
        overdue=sum(amounts.buckets[1:], Decimal(0)) > 0,
    )


def _display_tables(report: AgingReport) -> list[dict]:
    """Each currency's table: the rows of the page (already in the chosen order), its
    count of customers and its totals over all of them."""
    return [
        {
            "currency": table.currency,
            "rows": [
                _display_row(r.account_name, r, table.currency, r.account_id) for r in table.rows
            ],
            "hidden": table.customer_count - len(table.rows),
            "count": table.customer_count,
            "total": _display_row(f"Total {table.currency}", table, table.currency),
        }
        for table in report.currencies
    ]


def _bucket_chart(report: AgingReport):
    if report.reporting:
        currency, values = report.reporting.currency, report.reporting.buckets
        title = f"Open AR by bucket, {currency} at as-of rates"
    elif len(report.currencies) == 1:
        currency, values = report.currencies[0].currency, report.currencies[0].buckets
        title = f"Open AR by bucket, {currency}"
    else:
        return None
    return column_chart(
        title,
        [
            (b.label, v, amount_text(v, currency, blank_zero=True))
            for b, v in zip(report.buckets, values, strict=True)
        ],
    )


def _summary_tiles(report: AgingReport) -> dict | None:
    source = report.reporting
    if source is None and len(report.currencies) == 1:
        source = report.currencies[0]
    if source is None:
        return None
    currency = source.currency
    overdue_share = (
        (source.overdue_total / source.open_total * 100).quantize(Decimal("0.1"))
        if source.open_total > 0
        else None
    )
    return {
        "currency": currency,
        "net": amount_text(source.net_total, currency),
        "open": amount_text(source.open_total, currency),
        "overdue": amount_text(source.overdue_total, currency),
        "overdue_share": overdue_share,
        "credits": amount_text(source.unapplied_credits, currency),
    }


def _aging_form(request) -> tuple[AgingForm, object]:
    form = AgingForm(request.GET)
    return form, form.to_params()


@require_GET
@require(*access.AGING_VIEW_PERMISSIONS)
def aging(request):
    form, params = _aging_form(request)
    sort = request.GET.get("sort", AgingSort.NAME)
    if sort not in AgingSort.VALUES:
        sort = AgingSort.NAME
    shown = (
        aging_page(params, page=_page_number(request), page_size=ROWS_PER_PAGE, sort=sort)
        if params
        else None
    )
    report = shown.report if shown else None
    if report:
        form = AgingForm(request.GET, currencies={c.currency for c in report.currencies})
        form.is_valid()
    context = {
        "form": form,
        "report": report,
        "subnav": _subnav(request, "aging"),
        "css": CSS,
        "query": _query(request, drop=("sort",)),
        "sort": sort,
        "can_export": request.user.has_perm(access.EXPORT_PERMISSION),
        "export_fields": _export_fields(params) if params else [],
    }
    if report:
        reporting = report.reporting
        context.update(
            {
                "tables": _display_tables(report),
                "page": shown.paging,
                "chart": _bucket_chart(report),
                "tiles": _summary_tiles(report),
                "days_label": _days_label(report.params.basis),
                "reporting_row": _display_row(
                    f"Total {reporting.currency}", reporting, reporting.currency
                )
                if reporting
                else None,
            }
        )
    return render(request, "collections/reports/aging.html", context, status=200 if report else 400)


def _page_number(request) -> int:
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _export_fields(params) -> list[tuple[str, str]]:
    """The report parameters as hidden fields of the export-job form."""
    return [
        (name, ",".join(map(str, value)) if isinstance(value, list) else value)
        for name, value in params.as_dict().items()
    ]


def _days_label(basis: str) -> str:
    return "Days past due" if basis == AgingBasis.DUE_DATE else "Days since invoice date"


def _query(request, drop=()) -> str:
    query = request.GET.copy()
    for name in ("page", *drop):
        query.pop(name, None)
    return query.urlencode()


def _bucket_label(buckets: list[Bucket], index: int | None) -> str:
    return "Unapplied credits" if index is None else buckets[index].label


@require_GET
@require(*access.AGING_VIEW_PERMISSIONS)
def aging_account(request, account_id: int):
    account = get_object_or_404(Account, pk=account_id)
    form, params = _aging_form(request)
    if params is None:
        return redirect("ar_reports:aging")
    detail = customer_aging(params, account)
    summary_rows = {t.currency: t.rows[0] for t in detail.summary.currencies if t.rows}
    groups = []
    for currency in sorted(set(summary_rows) | {d.currency for d in detail.documents}):
        row = summary_rows.get(currency)
        summary = _display_row(account.legal_name, row, currency, account.pk) if row else None
        documents = [
            {
                "doc": doc,
                "bucket": _bucket_label(detail.buckets, doc.bucket),
                "amount": amount_text(doc.amount, currency),
                "credited": amount_text(doc.credited, currency, blank_zero=True),
                "settled": amount_text(doc.settled, currency, blank_zero=True),
                "refunded": amount_text(doc.refunded, currency, blank_zero=True),
                "open": amount_text(doc.open_amount, currency),
                "overdue": bool(doc.kind == "invoice" and doc.bucket),
            }
            for doc in detail.documents_in(currency)
        ]
        groups.append(
            {
                "currency": currency,
                "invoices": [d for d in documents if d["doc"].kind == "invoice"],
                "payments": [d for d in documents if d["doc"].kind in ("payment", "credit_note")],
                "summary": summary,
            }
        )
    return render(
        request,
        "collections/reports/aging_account.html",
        {
            "account": account,
            "form": form,
            "params": params,
            "detail": detail,
            "groups": groups,
            "subnav": _subnav(request, "aging"),
            "css": CSS,
            "query": _query(request),
            "days_label": _days_label(params.basis),
            "can_export": request.user.has_perm(access.EXPORT_PERMISSION),
        },
    )


EXPORT_REPORTS = {"aging", "aging_documents"}


@require_GET
@login_required
def aging_export(request, report: str, file_format: str):
    """CSV or XLSX of the aging (per customer) or of its documents; logged."""
    if report not in EXPORT_REPORTS or file_format not in exports.FORMATS:
        raise Http404("No such export")
    if not request.user.has_perm(access.EXPORT_PERMISSION):
        raise PermissionDenied("Exports need the finance export permission.")
    form, params = _aging_form(request)
    if params is None:
        return HttpResponse(
            "Invalid parameters: "
            + "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    account_id = request.GET.get("account")
    account = None
    if account_id:
        if not account_id.isdigit():
            return HttpResponse("account must be an id", status=400, content_type="text/plain")
        account = get_object_or_404(Account, pk=int(account_id))
    elif report == "aging_documents":
        # Unbounded (every open document): too long for a request, so an export job.
        return HttpResponse(
            "report: every customer's documents are exported in the background; ask for "
            "them with POST /collections/exports/ (the Documents buttons on the aging page).",
            status=400,
            content_type="text/plain",
        )
    summary = ar_aging(params, account_id=account.pk if account else None)
    if report == "aging":
        table = exports.aging_summary_table(summary)
    else:
        documents = aging_documents(params, account_id=account.pk if account else None)
        table = exports.aging_documents_table(summary, documents)
    parameters = params.as_dict()
    if account:
        parameters["account"] = account.pk
    content = exports.render(table, file_format)
    log = exports.log_export(
        user=request.user,
        report=report,
        file_format=file_format,
        parameters=parameters,
        rows=table.data_rows,
    )
    # Ids and counts only: customer data stays out of the application log.
    logger.info(
        "export %s.%s by user %s: %d rows (log %s)",
        report,
        file_format,
        request.user.pk,
        table.data_rows,
        log.pk,
    )
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[file_format])
    name = exports.file_name(report, parameters, file_format)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
