from django.urls import path

from billing import views, views_bulk, views_cash, views_changes, views_einvoice

app_name = "billing"

urlpatterns = [
    path("invoices/", views.invoice_list, name="invoice_list"),
    path("invoices/export.csv", views.invoice_export, name="invoice_export"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path(
        "invoices/<int:pk>/<slug:action>/confirm/",
        views.invoice_action_confirm,
        name="invoice_action_confirm",
    ),
    path("invoices/<int:pk>/<slug:action>/", views.invoice_action, name="invoice_action"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("runs/<int:pk>/bulk/<slug:action>/", views_bulk.run_bulk_action, name="run_bulk_action"),
    path("runs/<int:pk>/bulk/<slug:action>/ids/", views_bulk.run_bulk_ids, name="run_bulk_ids"),
    path("runs/<int:pk>/resume/", views.run_resume, name="run_resume"),
    path("exceptions/<int:pk>/resolve/", views.exception_resolve, name="exception_resolve"),
    path("accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path(
        "contracts/<int:pk>/change-orders/",
        views_changes.contract_change_orders,
        name="contract_change_orders",
    ),
    path("cash/payments/", views_cash.payment_list, name="payment_list"),
    path("cash/payments/export.csv", views_cash.payment_export, name="payment_export"),
    path("cash/payments/new/", views_cash.payment_record, name="payment_record"),
    path("cash/payments/<int:pk>/", views_cash.payment_detail, name="payment_detail"),
    path("cash/payments/<int:pk>/apply/", views_cash.payment_apply, name="payment_apply"),
    path("cash/payments/<int:pk>/refund/", views_cash.payment_refund, name="payment_refund"),
    path(
        "cash/payments/<int:pk>/refund/confirm/",
        views_cash.payment_refund_confirm,
        name="payment_refund_confirm",
    ),
    path(
        "credit-notes/<int:pk>/refund/confirm/",
        views_cash.credit_note_refund_confirm,
        name="credit_note_refund_confirm",
    ),
    path("credit-notes/<int:pk>/", views_cash.credit_note_detail, name="credit_note_detail"),
    path("credit-notes/<int:pk>/pdf/", views.credit_note_pdf, name="credit_note_pdf"),
    path("credit-notes/<int:pk>/apply/", views_cash.credit_note_apply, name="credit_note_apply"),
    path("credit-notes/<int:pk>/refund/", views_cash.credit_note_refund, name="credit_note_refund"),
    path(
        "cash/credit-applications/<int:pk>/reverse/",
        views_cash.credit_application_reverse,
        name="credit_application_reverse",
    ),
    path(
        "cash/applications/<int:pk>/reverse/",
        views_cash.application_reverse,
        name="application_reverse",
    ),
    path(
        "invoices/<int:pk>/einvoice/<slug:syntax>/",
        views_einvoice.invoice_einvoice,
        name="invoice_einvoice",
    ),
    path(
        "credit-notes/<int:pk>/einvoice/<slug:syntax>/",
        views_einvoice.credit_note_einvoice,
        name="credit_note_einvoice",
    ),
    path(
        "cash/payments/customers/",
        views_cash.payment_customer_lookup,
        name="payment_customer_lookup",
    ),
]
