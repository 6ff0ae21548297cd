from django.urls import path

from collections_app.statements import views

app_name = "statements"

urlpatterns = [
    path("accounts/<int:pk>/statement/", views.statement_download, name="download"),
    path("accounts/<int:pk>/statement/email/", views.statement_email, name="email"),
]
