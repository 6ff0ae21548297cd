from django.urls import path

from . import views

app_name = "salesforce_sync"

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/<int:pk>/resolve/", views.issue_resolve, name="issue_resolve"),
]
