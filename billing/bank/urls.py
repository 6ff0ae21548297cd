from django.urls import path

from billing.bank import views

app_name = "bank"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("import/", views.statement_import, name="import"),
    path("transactions/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("transactions/<int:pk>/unapplied/", views.unapplied, name="unapplied"),
    path("transactions/<int:pk>/ignore/", views.ignore, name="ignore"),
    path("transactions/<int:pk>/split/", views.split, name="split"),
]
