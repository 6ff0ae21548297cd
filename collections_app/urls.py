from django.urls import path

from collections_app import views

app_name = "collections"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("accounts/<int:account_id>/", views.account_page, name="account"),
    path("accounts/<int:account_id>/<slug:action>/", views.account_action, name="account_action"),
    path(
        "activities/<int:activity_id>/<slug:action>/",
        views.activity_action,
        name="activity_action",
    ),
]
