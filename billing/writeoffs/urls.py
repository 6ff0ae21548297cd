from django.urls import path

from billing.writeoffs import views

app_name = "writeoffs"

urlpatterns = [
    path("", views.write_off_list, name="list"),
    path("request/", views.write_off_request, name="request"),
    path("<int:pk>/decide/", views.write_off_decide, name="decide"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
]
