"""Deal desk pages under /dealdesk/ (included from config.urls)."""

from django.urls import path

from ordermgmt import views_dealdesk as views

app_name = "dealdesk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/comment/", views.comment, name="comment"),
    path("reviews/<int:pk>/<str:decision>/", views.decide, name="decide"),
    path("contracts/<int:contract_id>/", views.contract_review, name="contract"),
    path("metrics/", views.metrics, name="metrics"),
    path("rules/", views.rules, name="rules"),
]
