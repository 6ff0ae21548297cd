"""AR report pages under /collections/ (included from config.urls)."""

from django.urls import path

from collections_app import api_reports
from collections_app import views_reports as views

app_name = "ar_reports"

urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/accounts/<int:account_id>/", views.aging_account, name="aging_account"),
    path(
        "aging/export/<slug:report>.<slug:file_format>",
        views.aging_export,
        name="aging_export",
    ),
    path("exports/", views.export_jobs, name="export_jobs"),
    path("exports/<int:job_id>/", views.export_job, name="export_job"),
    path("exports/<int:job_id>/status.json", views.export_job_status, name="export_status"),
    path("exports/<int:job_id>/download", views.export_job_download, name="export_download"),
    path("dso/", views.dso, name="dso"),
    path("import-open-ar/", views.import_open_ar_page, name="import"),
]

# The export-job API, under /api/v1/reports/ (ordermgmt/urls.py).
api_urlpatterns = [
    path("exports/", api_reports.ExportJobsView.as_view(), name="api-export-jobs"),
    path("exports/<int:job_id>/", api_reports.ExportJobView.as_view(), name="api-export-job"),
    path(
        "exports/<int:job_id>/file/",
        api_reports.ExportJobFileView.as_view(),
        name="api-export-job-file",
    ),
]
