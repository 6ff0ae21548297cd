from django.urls import path

from . import views

app_name = "saved_filters"

urlpatterns = [
    path("", views.saved_filter_save, name="save"),
    path("<int:pk>/rename/", views.saved_filter_rename, name="rename"),
    path("<int:pk>/delete/", views.saved_filter_delete, name="delete"),
]
