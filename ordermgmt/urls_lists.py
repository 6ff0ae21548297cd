from django.urls import path

from ordermgmt import views_lists

urlpatterns = [
    path("contracts/", views_lists.contract_list, name="contract_list"),
    path("contracts/export.csv", views_lists.contract_export, name="contract_export"),
    path("customers/", views_lists.customer_list, name="customer_list"),
    path("customers/export.csv", views_lists.customer_export, name="customer_export"),
]
