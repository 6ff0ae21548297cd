from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from ordermgmt import api, views

router = DefaultRouter()
router.register("accounts", api.AccountViewSet)
router.register("contacts", api.ContactViewSet)
router.register("products", api.ProductViewSet)
router.register("opportunities", api.OpportunityViewSet)
router.register("contracts", api.ContractViewSet)

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
