"""Export job pages: list, detail, status polling, download."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from collections_app.models import ExportJob, ExportJobStatus
from core.errors import DomainValidationError
from core.permissions import require

from ..reports import access, exports
from ..reports import export_jobs as export_service
from ..reports.forms import AgingForm
from .common import CSS, _subnav, logger

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
