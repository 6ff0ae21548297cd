from django.urls import path

from . import views, views_operations

app_name = "revenue"

urlpatterns = [
    path("", views.waterfall, name="waterfall"),
    path("roll-forward/", views.rollforward, name="rollforward"),
    path("balances/", views.balances, name="balances"),
    path("contracts/<int:contract_id>/", views.contract_detail, name="contract"),
    path(
        "contracts/<int:contract_id>/deliveries/",
        views.record_delivery,
        name="record_delivery",
    ),
    path(
        "contracts/<int:contract_id>/modification/",
        views.account_for_modification,
        name="account_for_modification",
    ),
    path("contracts/<int:contract_id>/recognise/", views.recognise, name="recognise"),
    path(
        "contracts/<int:contract_id>/reestimate/",
        views_operations.reestimate,
        name="reestimate",
    ),
    path(
        "contracts/<int:contract_id>/change-orders/<int:change_id>/treatment/",
        views_operations.override_treatment,
        name="override_treatment",
    ),
    path("export/<str:report>.<str:file_format>", views.export, name="export"),
]
