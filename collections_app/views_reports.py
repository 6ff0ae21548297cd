"""AR report pages under /collections/: aging (with drill-down and exports), DSO, and the
open-AR import. Views check permissions (collections_app.reports.access), read through
the report selectors and write only through `import_open_ar` and `request_export`.

Exports: the aging summary and one customer's documents download directly (bounded:
rows per customer, or one customer's documents); every open document of every customer
is an export job (exports.py), built by a Celery worker while its page shows progress
and then the download link."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from billing.money import minor_unit
from collections_app.models import ExportJob, ExportJobStatus
from ordermgmt.errors import DomainValidationError
from ordermgmt.models import Account

from .reports import access, exports
from .reports import export_jobs as export_service
from .reports.aging import (
    AgingBasis,
    AgingReport,
    Bucket,
    ar_aging,
)
from .reports.aging_documents import (
    aging_documents,
    customer_aging,
)
from .reports.ar_import import REQUIRED_COLUMNS, OpenArImportRejected, import_open_ar
from .reports.charts import column_chart, line_chart
from .reports.dso import DsoMethod, dso_with_trend
from .reports.forms import AgingForm, DsoForm, OpenArImportForm

logger = logging.getLogger(__name__)

ROWS_PER_CURRENCY = 200  # on the page; exports hold every row
CSS = "ledgerline/ar-reports.css"


def require(*perms: str):
    """Signed in (else to the login page), holding every permission (else 403)."""

    def decorator(view):
        return login_required(permission_required(list(perms), raise_exception=True)(view))

    return decorator


def amount_text(value: Decimal | None, currency: str, *, blank_zero: bool = False) -> str:
    """1234.5 USD -> "1,234.50"; the currency's own decimals, no symbol (tables say it)."""
    if value is None:
        return "—"
    if blank_zero and value == 0:
        return "–"
    places = minor_unit(currency)
    return f"{value.quantize(Decimal(1).scaleb(-places)):,.{places}f}"


def _subnav(request, active: str) -> list[dict]:
    user = request.user
    items = [
        (
            "aging",
            "AR aging",
            "ar_reports:aging",
            all(map(user.has_perm, access.AGING_VIEW_PERMISSIONS)),
        )
    ]
    items.append(("dso", "DSO", "ar_reports:dso", user.has_perm(access.DSO_VIEW_PERMISSION)))
    items.append(
        ("import", "Import open AR", "ar_reports:import", user.has_perm(access.IMPORT_PERMISSION))
    )
    return [
        {"key": key, "label": label, "url": url, "active": key == active}
        for key, label, url, allowed in items
        if allowed
    ]


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


def _display_tables(report: AgingReport, sort: str) -> list[dict]:
    tables = []
    for table in report.currencies:
        rows = list(table.rows)
        if sort == "net":
            rows.sort(key=lambda r: -r.net_total)
        elif sort == "overdue":
            rows.sort(key=lambda r: -r.overdue_total)
        shown = rows[:ROWS_PER_CURRENCY]
        tables.append(
            {
                "currency": table.currency,
                "rows": [
                    _display_row(r.account_name, r, table.currency, r.account_id) for r in shown
                ],
                "hidden": len(rows) - len(shown),
                "count": len(rows),
                "total": _display_row(f"Total {table.currency}", table, table.currency),
            }
        )
    return tables


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
    report = ar_aging(params) if params else None
    if report:
        form = AgingForm(request.GET, currencies={c.currency for c in report.currencies})
        form.is_valid()
    sort = request.GET.get("sort", "name")
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
                "tables": _display_tables(report, sort),
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


# --- Export jobs -------------------------------------------------------------------------


def _visible_job(request, job_id: int) -> ExportJob:
    job = get_object_or_404(ExportJob.objects.select_related("user"), pk=job_id)
    if not export_service.job_visible_to(job, request.user):
        # Another user's export: as if it did not exist (ids say nothing about others).
        raise Http404("No such export.")
    return job


def job_progress(job: ExportJob) -> dict:
    """What the job page shows and polls (status.json)."""
    done = job.status == ExportJobStatus.DONE
    return {
        "id": job.pk,
        "report": job.report,
        "file_format": job.file_format,
        "status": job.status,
        "status_label": job.get_status_display(),
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.progress_percent,
        "finished": job.finished,
        "error": job.error,
        "file_name": job.file_name,
        "download_url": reverse("ar_reports:export_download", args=[job.pk]) if done else None,
    }


@require_http_methods(["GET", "POST"])
@require(access.EXPORT_PERMISSION)
def export_jobs(request):
    """GET: your recent exports. POST: ask for one (report, file_format, the aging
    parameters, optionally account); then its page, which follows the job."""
    if request.method == "GET":
        jobs = ExportJob.objects.filter(user=request.user)[:20]
        return render(
            request,
            "collections/reports/export_jobs.html",
            {"jobs": jobs, "subnav": _subnav(request, "aging"), "css": CSS},
        )
    form = AgingForm(request.POST)
    params = form.to_params()
    if params is None:
        return HttpResponse(
            "Invalid parameters: "
            + "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()),
            status=400,
            content_type="text/plain",
        )
    account_id = request.POST.get("account") or None
    if account_id is not None and not account_id.isdigit():
        return HttpResponse("account must be an id", status=400, content_type="text/plain")
    try:
        job = export_service.request_export(
            user=request.user,
            report=request.POST.get("report", ""),
            file_format=request.POST.get("file_format", ""),
            params=params,
            account_id=int(account_id) if account_id else None,
        )
    except DomainValidationError as err:
        return HttpResponse(f"{err.field}: {err.message}", status=400, content_type="text/plain")
    return redirect("ar_reports:export_job", job_id=job.pk)


@require_GET
@require(access.EXPORT_PERMISSION)
def export_job(request, job_id: int):
    job = _visible_job(request, job_id)
    return render(
        request,
        "collections/reports/export_job.html",
        {
            "job": job,
            "progress": job_progress(job),
            "subnav": _subnav(request, "aging"),
            "css": CSS,
        },
    )


@require_GET
@require(access.EXPORT_PERMISSION)
def export_job_status(request, job_id: int):
    response = JsonResponse(job_progress(_visible_job(request, job_id)))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@require(access.EXPORT_PERMISSION)
def export_job_download(request, job_id: int):
    job = _visible_job(request, job_id)
    if job.status != ExportJobStatus.DONE or not job.file:
        raise Http404("The export has no file (yet).")
    # Ids only: customer data stays out of the application log.
    logger.info("export job %s downloaded by user %s", job.pk, request.user.pk)
    response = FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.file_name,
        content_type=exports.CONTENT_TYPES[job.file_format],
    )
    response["Cache-Control"] = "no-store"
    return response


# --- DSO ---------------------------------------------------------------------------------


def _days_text(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal('0.01'))}"


@require_GET
@require(access.DSO_VIEW_PERMISSION)
def dso(request):
    form = DsoForm(request.GET)
    params = form.to_params()
    context = {"form": form, "subnav": _subnav(request, "dso"), "css": CSS, "result": None}
    if params is None:
        return render(request, "collections/reports/dso.html", context, status=400)
    result, trend = dso_with_trend(params)  # one reading of the book for both
    currency = result.currency
    method_label = dict(DsoMethod.CHOICES)[params.method]
    context.update(
        {
            "params": params,
            "result": result,
            "method_label": method_label,
            "figures": {
                "dso": _days_text(result.dso),
                "simple": _days_text(result.simple),
                "countback": _days_text(result.countback.dso if result.countback else None),
                "ending_ar": amount_text(result.ending_ar, currency),
                "gross_ar": amount_text(result.gross_ar, currency),
                "credits": amount_text(result.unapplied_credits, currency),
                "sales": amount_text(result.credit_sales, currency),
            },
            "steps": [
                {
                    "month": step.month,
                    "sales": amount_text(step.sales, currency),
                    "ar_before": amount_text(step.ar_before, currency),
                    "days": f"{step.days_counted.quantize(Decimal('0.01'))}",
                    "full": step.full_month,
                }
                for step in (result.countback.steps if result.countback else [])
            ],
            "trend_chart": line_chart(
                f"{method_label} DSO at each month end, last {len(trend)} months",
                [
                    (point.month.strftime("%b %y"), point.dso, _days_text(point.dso))
                    for point in trend
                ],
            ),
            "trend": trend,
        }
    )
    return render(request, "collections/reports/dso.html", context)


# --- Import ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@require(access.IMPORT_PERMISSION)
def import_open_ar_page(request):
    errors = []
    result = None
    status = 200
    if request.method == "POST":
        form = OpenArImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = import_open_ar(
                    content=form.cleaned_data["file"].read(),
                    cutover_date=form.cleaned_data["cutover_date"],
                    actor=request.user,
                )
            except OpenArImportRejected as err:
                errors = err.errors
                messages.error(request, err.message)
                status = 400
            except DomainValidationError as err:
                messages.error(request, err.message)
                status = 400
            else:
                messages.success(
                    request,
                    f"Imported {result.count} open invoice{'s' if result.count != 1 else ''} "
                    f"with the cut-over date {result.cutover_date.isoformat()}.",
                )
        else:
            status = 400
    else:
        form = OpenArImportForm()
    totals = []
    if result:
        totals = [
            {
                "currency": code,
                "original": amount_text(original, code),
                "open": amount_text(open_, code),
            }
            for code, (original, open_) in result.totals.items()
        ]
    return render(
        request,
        "collections/reports/import.html",
        {
            "form": form,
            "errors": errors,
            "result": result,
            "totals": totals,
            "columns": REQUIRED_COLUMNS + ["po_number"],
            "subnav": _subnav(request, "import"),
            "css": CSS,
        },
        status=status,
    )
