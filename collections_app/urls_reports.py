"""AR report pages under /collections/ (included from ordermgmt.urls)."""

from django.urls import path

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
    path("dso/", views.dso, name="dso"),
    path("import-open-ar/", views.import_open_ar_page, name="import"),
]
