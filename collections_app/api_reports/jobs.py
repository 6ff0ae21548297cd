"""Export jobs over the REST API."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from collections_app.models import ExportJob, ExportJobStatus
from core.api_permissions import NamedPermission

from ..reports import access, export_jobs, exports
from .aging import AgingInputSerializer

# --- Export jobs -------------------------------------------------------------------------


class ExportJobInputSerializer(AgingInputSerializer):
    report = serializers.ChoiceField(
        choices=sorted(exports.REPORTS),
        help_text="aging: one row per customer and currency; aging_documents: every open document",
    )
    file_format = serializers.ChoiceField(choices=sorted(exports.FORMATS))
    account = serializers.IntegerField(
        required=False, allow_null=True, help_text="Only this customer (an account id)"
    )


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    report = serializers.CharField()
    file_format = serializers.CharField()
    parameters = serializers.DictField(help_text="The report parameters, as logged")
    status = serializers.ChoiceField(choices=ExportJobStatus.choices)
    rows_done = serializers.IntegerField()
    rows_total = serializers.IntegerField(allow_null=True, help_text="null: not counted yet")
    percent = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True, help_text="Why a failed job stopped")
    file_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    status_url = serializers.CharField()
    file_url = serializers.CharField(allow_null=True, help_text="Set when the job is done")


def export_job_payload(job: ExportJob, request) -> dict:
    done = job.status == ExportJobStatus.DONE
    return {
        "id": job.pk,
        "report": job.report,
        "file_format": job.file_format,
        "parameters": job.parameters,
        "status": job.status,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": job.progress_percent,
        "error": job.error,
        "file_name": job.file_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "status_url": reverse("api-export-job", args=[job.pk], request=request),
        "file_url": reverse("api-export-job-file", args=[job.pk], request=request)
        if done
        else None,
    }


def _visible_job(request, job_id: int) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=job_id)
    if not export_jobs.job_visible_to(job, request.user):
        raise Http404("No such export job.")
    return job


class ExportJobsView(APIView):
    """Ask for an export of the AR aging (CSV or XLSX): a job built in the background;
    follow it at `status_url` and fetch the file at `file_url` when it is done."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(
        request=ExportJobInputSerializer,
        responses={202: ExportJobOutputSerializer},
    )
    def post(self, request):
        data = ExportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = export_jobs.request_export(
            user=request.user,
            report=data.validated_data["report"],
            file_format=data.validated_data["file_format"],
            params=data.to_params(),
            account_id=data.validated_data.get("account"),
        )
        job.refresh_from_db()  # an eager build (no broker) has finished already
        return Response(
            ExportJobOutputSerializer(export_job_payload(job, request)).data,
            status=status.HTTP_202_ACCEPTED,
        )


class ExportJobView(APIView):
    """An export job's status and progress (rows done / rows total)."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request, job_id: int):
        job = _visible_job(request, job_id)
        return Response(ExportJobOutputSerializer(export_job_payload(job, request)).data)


class ExportJobFileView(APIView):
    """The file of a done export job (CSV or XLSX)."""

    permission_classes = [NamedPermission]
    permission_required = access.EXPORT_PERMISSION

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, exports.CONTENT_TYPES["xlsx"]): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX"
            ),
            404: OpenApiResponse(description="No such job, not yours, or not done"),
        }
    )
    def get(self, request, job_id: int):
        job = _visible_job(request, job_id)
        if job.status != ExportJobStatus.DONE or not job.file:
            raise Http404("The export has no file (yet).")
        response = FileResponse(
            job.file.open("rb"),
            as_attachment=True,
            filename=job.file_name,
            content_type=exports.CONTENT_TYPES[job.file_format],
        )
        response["Cache-Control"] = "no-store"
        return response
