from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/sent/", views.link_sent, name="link_sent"),
    path("sign-in/<str:token>/", views.open_link, name="open_link"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("invoices/<int:pk>/", views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/pay/", views.pay, name="pay"),
    path("invoices/<int:pk>/dispute/", views.dispute, name="dispute"),
    path(
        "invoices/<int:pk>/einvoice/<str:syntax>/", views.invoice_einvoice, name="invoice_einvoice"
    ),
    path("credit-notes/<int:pk>/pdf/", views.credit_note_pdf, name="credit_note_pdf"),
    path(
        "credit-notes/<int:pk>/einvoice/<str:syntax>/",
        views.credit_note_einvoice,
        name="credit_note_einvoice",
    ),
    path("statement/", views.statement, name="statement"),
]
