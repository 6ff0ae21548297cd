from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from billing import api as billing_api
from billing import views_search
from billing.api import catch_up as catch_up_api
from billing.api import change_orders as change_orders_api
from billing.api import einvoices as einvoice_api
from billing.api import payments as payments_api
from billing.api import reference as reference_api
from billing.bank import api as bank_api
from billing.revenue import api as revenue_api
from billing.revenue import api_changes as revenue_changes_api
from billing.revenue import api_operations as revenue_ops_api
from billing.usage import api as usage_api
from billing.writeoffs import api as writeoffs_api
from collections_app import api as collections_api
from collections_app import api_dunning, api_reports, urls_reports
from collections_app.statements import api as statements_api
from config.home import views as home_views
from integrations.salesforce import api as salesforce_api
from ordermgmt import api, api_catalog, api_dealdesk
from ordermgmt.security import views as security_views

router = DefaultRouter()
router.register("accounts", api.AccountViewSet)
router.register("contacts", api.ContactViewSet)
router.register("products", api_catalog.ProductViewSet)
router.register("product-prices", api_catalog.ProductPriceViewSet)
router.register("tax-rates", reference_api.TaxRateViewSet)
router.register("legal-entities", reference_api.LegalEntityViewSet)
router.register("number-series", reference_api.NumberSeriesViewSet)
router.register("fx-rates", reference_api.FxRateViewSet)
router.register("revenue/ssp-ranges", reference_api.SspRangeViewSet)
router.register("opportunities", api.OpportunityViewSet)
router.register("contracts", api.ContractViewSet)
router.register("dealdesk/reviews", api_dealdesk.DealDeskReviewViewSet)
router.register("dealdesk/rules", api_dealdesk.DealDeskRuleViewSet)

router.register("schedule-lines", billing_api.BillingScheduleLineViewSet)
router.register("invoices", billing_api.InvoiceViewSet)
router.register("credit-notes", billing_api.CreditNoteViewSet)
router.register("credit-applications", billing_api.CreditApplicationViewSet)
router.register("billing-runs", billing_api.BillingRunViewSet)
router.register("billing-run-exceptions", billing_api.BillingRunExceptionViewSet)
router.register("usage-records", billing_api.UsageRecordViewSet)
router.register("payments", payments_api.PaymentViewSet)
router.register("payment-applications", payments_api.PaymentApplicationViewSet)
router.register("bank/statements", bank_api.BankStatementViewSet)
router.register("bank/transactions", bank_api.BankTransactionViewSet)
router.register("write-offs", writeoffs_api.WriteOffViewSet)
router.register("approvals", writeoffs_api.ApprovalViewSet)
router.register("revenue/obligations", revenue_api.PerformanceObligationViewSet)
router.register("revenue/allocations", revenue_api.RevenueAllocationViewSet)
router.register("revenue/schedules", revenue_api.RevenueScheduleViewSet)
router.register("usage/batches", usage_api.UsageBatchViewSet)
router.register("usage/prices", usage_api.UsagePriceViewSet)
router.register("usage/commitments", usage_api.CommitmentViewSet)

router.register("collections/activities", collections_api.CollectionActivityViewSet)
router.register("collections/reminders", collections_api.DunningReminderViewSet)
router.register("collections/dunning-policies", api_dunning.DunningPolicyViewSet)

router.register("salesforce/sync-runs", salesforce_api.SyncRunViewSet)
router.register("salesforce/sync-issues", salesforce_api.SyncIssueViewSet)

urlpatterns = [
    path("", home_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            extra_context={"reset_hours": max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)}
        ),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("account/api-tokens/", security_views.api_tokens, name="api_tokens"),
    path("account/api-tokens/revoke/", security_views.api_token_revoke, name="api_token_revoke"),
    path("admin/", admin.site.urls),
    path("search/", views_search.global_search, name="search"),
    path("search/suggest/", views_search.search_suggestions, name="search_suggest"),
    path("saved-filters/", include("core.saved_filters.urls")),
    path("", include("ordermgmt.urls_lists")),
    path("dealdesk/", include("ordermgmt.urls_dealdesk")),
    path("billing/", include("billing.urls")),
    path("billing/bank/", include("billing.bank.urls")),
    path("billing/write-offs/", include("billing.writeoffs.urls")),
    path("integrations/stripe/", include("integrations.stripe.urls")),
    path("integrations/salesforce/", include("integrations.salesforce.urls")),
    path("collections/", include("collections_app.urls_reports")),
    # Before collections_app.urls, whose accounts/<id>/<action>/ would take "statement".
    path("collections/", include("collections_app.statements.urls")),
    path("collections/", include("collections_app.urls")),
    path(
        "api/v1/collections/worklist/",
        collections_api.WorklistView.as_view(),
        name="api-collections-worklist",
    ),
    path(
        "api/v1/collections/accounts/<int:account_id>/statement-email/",
        statements_api.StatementEmailView.as_view(),
        name="api-collections-statement-email",
    ),
    path(
        "api/v1/collections/dunning-runs/",
        api_dunning.DunningRunView.as_view(),
        name="api-collections-dunning-runs",
    ),
    path("api/v1/reports/ar-aging/", api_reports.ArAgingView.as_view(), name="api-ar-aging"),
    path(
        "api/v1/reports/ar-aging/accounts/<int:account_id>/",
        api_reports.ArAgingAccountView.as_view(),
        name="api-ar-aging-account",
    ),
    path("api/v1/reports/dso/", api_reports.DsoView.as_view(), name="api-dso"),
    path("api/v1/reports/", include(urls_reports.api_urlpatterns)),
    path("revenue/", include("billing.revenue.urls")),
    path("portal/", include("portal.urls")),
    path(
        "api/v1/revenue/balances/",
        revenue_api.ContractBalancesView.as_view(),
        name="api-revenue-balances",
    ),
    path(
        "api/v1/revenue/waterfall/",
        revenue_api.WaterfallView.as_view(),
        name="api-revenue-waterfall",
    ),
    path(
        "api/v1/revenue/settings/<int:contract_id>/",
        revenue_api.RevenueSettingsView.as_view(),
        name="api-revenue-settings",
    ),
    path(
        "api/v1/revenue/modifications/",
        revenue_api.ModificationView.as_view(),
        name="api-revenue-modifications",
    ),
    path("api/v1/usage/events/", usage_api.UsageEventBatchView.as_view(), name="api-usage-events"),
    path(
        "api/v1/usage/balances/",
        usage_api.CommitmentBalanceView.as_view(),
        name="api-usage-balances",
    ),
    path(
        "api/v1/revenue/contracts/<int:contract_id>/reestimate/",
        revenue_ops_api.ReestimateView.as_view(),
        name="api-revenue-reestimate",
    ),
    path(
        "api/v1/revenue/contracts/<int:contract_id>/rebuild/",
        revenue_ops_api.RebuildView.as_view(),
        name="api-revenue-rebuild",
    ),
    path(
        "api/v1/revenue/contracts/<int:contract_id>/exceptions/",
        revenue_ops_api.RevenueExceptionListView.as_view(),
        name="api-revenue-exceptions",
    ),
    path(
        "api/v1/invoices/<int:pk>/einvoice/<slug:syntax>/",
        einvoice_api.InvoiceEInvoiceView.as_view(),
        name="api-invoice-einvoice",
    ),
    path(
        "api/v1/credit-notes/<int:pk>/einvoice/<slug:syntax>/",
        einvoice_api.CreditNoteEInvoiceView.as_view(),
        name="api-credit-note-einvoice",
    ),
    path(
        "api/v1/contracts/<int:contract_id>/change-orders/",
        change_orders_api.ChangeOrderView.as_view(),
        name="api-contract-change-orders",
    ),
    path(
        "api/v1/contracts/<int:contract_id>/catch-up-preview/",
        catch_up_api.CatchUpPreviewView.as_view(),
        name="api-contract-catch-up-preview",
    ),
    path(
        "api/v1/revenue/change-orders/<int:change_id>/treatment/",
        revenue_changes_api.ChangeOrderTreatmentView.as_view(),
        name="api-revenue-change-order-treatment",
    ),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
