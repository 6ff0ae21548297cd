from django.urls import path

from . import views

app_name = "stripe_billing"

urlpatterns = [
    path("", views.integration_errors, name="integration_errors"),
    path("pushes/<slug:kind>/<int:pk>/retry/", views.retry_push, name="retry_push"),
    path("webhook/", views.stripe_webhook, name="webhook"),
]
