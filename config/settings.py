"""Ledgerline settings, all from environment variables.

Defaults run the embedded demo (SQLite, no broker). With DEBUG off, the defaults are
production-safe: secure cookies, HSTS, HTTPS redirect, no debug pages.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-demo-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "ordermgmt",
    "billing",
    "billing.revenue",
    "billing.usage",
    "billing.bank",
    "billing.fx",
    "billing.writeoffs",
    "collections_app",
    "integrations",
    "integrations.salesforce",
    "integrations.stripe",
    "portal",
    "core.saved_filters",
    "core",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "ordermgmt.security.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "ordermgmt.security.middleware.NoStoreMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes last: it needs the authenticated user and the request.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ordermgmt.context_processors.console",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'ledgerline.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo: write-ahead log, and commits that don't wait for the disk (a crash of the
    # machine may lose the last commits, never corrupt the file). The demo load makes
    # thousands of small durable transactions, one per service call.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = os.environ.get(
        "SQLITE_INIT_COMMAND", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "media/"

# --- Security baseline ------------------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed: the client is the
# right-most address that is not one of them. Empty: the peer address is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# Sessions: ended after SESSION_IDLE_TIMEOUT seconds without a request and, whatever
# the activity, SESSION_ABSOLUTE_TIMEOUT seconds after login (ordermgmt/security).
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", "1800"))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", "43200"))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", "3600"))

# Content-Security-Policy (django-csp 4): scripts and styles from our own static files
# only; the one inline script carries the request's nonce. Style attributes (progress
# bars) need 'unsafe-inline' for styles; scripts never get it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Permissions-Policy (django-permissions-policy): no page needs these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    ]
}

# Login throttling: lock a username+client address pair after 5 failures for 15 minutes.
# The client address is the real one behind TRUSTED_PROXIES, so one user's typos lock
# out that user from that address, not everyone behind the proxy.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "ordermgmt.security.client_ip.client_ip"

# --- Email ------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "outbox"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@ledgerline.example")

# --- Celery -------------------------------------------------------------------------
# Without REDIS_URL (the embedded demo) tasks run eagerly in the web process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task's message is acknowledged when the task ends, so a worker killed mid-task loses
# nothing: a lost pool process requeues it at once (reject_on_worker_lost), a lost worker
# leaves it unacknowledged in Redis, which hands it out again after the visibility
# timeout. Every task is idempotent for that (billing runs and export jobs by a lease,
# delivery and Stripe pushes by a locked row, dunning by its step records).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The timeout must outlast the longest retry countdown (30 minutes: delivery and dunning
# backoff), since Redis counts a message waiting for its countdown as unacknowledged too.
# A task running longer than it is delivered again and finds its run held (leases).
# Redis checks for messages to hand out again every CELERY_UNACKED_RESTORE_INTERVAL s.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "2400")),
    "unacked_restore_interval": int(os.environ.get("CELERY_UNACKED_RESTORE_INTERVAL", "30")),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Workers keep Django's LOGGING (and its redaction filter) instead of taking over the root.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its `WWW-Authenticate: Token` header makes DRF answer an anonymous call
    # with 401 (the first class decides; SessionAuthentication has no such header -> 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "ordermgmt.security.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.api_permissions.RoleModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.ListPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.CatalogAutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.domain_exception_handler",
}
# API tokens (django-rest-knox): a SHA-512 digest at rest, shown once, expiring.
API_TOKEN_TTL_DAYS = int(os.environ.get("API_TOKEN_TTL_DAYS", "90"))
API_TOKEN_LIMIT_PER_USER = int(os.environ.get("API_TOKEN_LIMIT_PER_USER", "10"))
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": "Order-to-cash: contracts, billing, payments, collections.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ContractKindEnum": "ordermgmt.models.contracts.ContractKind",
        "DealDeskDecisionKindEnum": "ordermgmt.models.dealdesk.DecisionKind",
        # Several models have a "reason" or "resolution" with its own choices: one name each.
        "BillingExceptionReasonEnum": "billing.models.runs.ExceptionReason",
        "AllocationReasonEnum": "billing.revenue.models.AllocationReason",
        "DisputeReasonEnum": "collections_app.models.DisputeReason",
        "DisputeResolutionEnum": "collections_app.models.DisputeResolution",
        "SyncIssueResolutionEnum": "integrations.salesforce.models.Resolution",
        "WriteOffReasonEnum": "billing.writeoffs.models.WriteOffReason",
        "ChangeOrderKindEnum": "ordermgmt.models.changes.ChangeKind",
        "ApprovalKindEnum": "billing.writeoffs.models.ApprovalKind",
    },
}

# --- Money ----------------------------------------------------------------------------
# HALF_UP by default; HALF_EVEN (banker's rounding) as a per-tenant setting.
LEDGERLINE_ROUNDING = os.environ.get("LEDGERLINE_ROUNDING", "ROUND_HALF_UP")
LEDGERLINE_STANDARD_CURRENCIES = env_list("LEDGERLINE_STANDARD_CURRENCIES", "USD,EUR,GBP,JPY")

# --- Input bounds (checked by the services before anything is saved) -------------------
# A contract's whole value (every line over its whole term) stays at or below this, so
# every amount derived from it (line, schedule, invoice, tax, revenue) fits its column.
LEDGERLINE_MAX_CONTRACT_VALUE = os.environ.get("LEDGERLINE_MAX_CONTRACT_VALUE", "1000000000000")
# No business date (contract, payment, refund) before this day.
LEDGERLINE_DATE_FLOOR = os.environ.get("LEDGERLINE_DATE_FLOOR", "2000-01-01")
LEDGERLINE_CONTRACT_MAX_TERM_YEARS = int(os.environ.get("LEDGERLINE_CONTRACT_MAX_TERM_YEARS", "10"))
LEDGERLINE_CONTRACT_MAX_YEARS_AHEAD = int(
    os.environ.get("LEDGERLINE_CONTRACT_MAX_YEARS_AHEAD", "5")
)
# Invoice and credit note dates chosen at issue: at most this many days before (about five
# years, for late corrections and imported history) or after today.
LEDGERLINE_DOCUMENT_DATE_PAST_DAYS = int(
    os.environ.get("LEDGERLINE_DOCUMENT_DATE_PAST_DAYS", "1830")
)
LEDGERLINE_DOCUMENT_DATE_FUTURE_DAYS = int(
    os.environ.get("LEDGERLINE_DOCUMENT_DATE_FUTURE_DAYS", "31")
)

# --- Logging --------------------------------------------------------------------------
# Customer records are confidential: SQL parameters (names, amounts) never reach the log,
# and the redaction filter masks e-mail addresses in any message that slips through.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "core.logging.RedactCustomerData"},
        "client_errors_one_line": {"()": "core.logging.ClientErrorsOnOneLine"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING", "propagate": True},
        "django.request": {"filters": ["client_errors_one_line"], "propagate": True},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- Billing --------------------------------------------------------------------------
# Retired: tax rounding is each seller's rule (LegalEntity.tax_rounding). Read only by
# billing migration 0115, once, for sellers that existed before it ("line" or "total").
LEDGERLINE_TAX_ROUNDING = os.environ.get("LEDGERLINE_TAX_ROUNDING", "line")
LEDGERLINE_BILLING_CHUNK_SIZE = int(os.environ.get("LEDGERLINE_BILLING_CHUNK_SIZE", "200"))
# A running billing run whose heartbeat (renewed every chunk) is older than this lost its
# worker: it may be resumed, and the beat safety net resumes it.
LEDGERLINE_BILLING_RUN_LEASE_SECONDS = int(
    os.environ.get("LEDGERLINE_BILLING_RUN_LEASE_SECONDS", "600")
)
LEDGERLINE_USAGE_BREAKAGE = os.environ.get("LEDGERLINE_USAGE_BREAKAGE", "expiry")

# --- Stripe ---------------------------------------------------------------------------
# Off unless an API key is given. STRIPE_API_BASE points the official library at our
# Stripe simulator (demo, tests: `manage.py run_stripe_simulator` serves one at
# http://127.0.0.1:12111); empty means api.stripe.com. The webhook secret (whsec_...)
# comes from registering the endpoint (`manage.py stripe_register_webhook`).
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_ENABLED = env_bool("STRIPE_ENABLED", bool(STRIPE_API_KEY))
STRIPE_TIMEOUT = float(os.environ.get("STRIPE_TIMEOUT", "30"))
STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))
# The one Stripe API version the product speaks: sent on every request and set on the
# webhook endpoint at registration. Empty: the version the installed stripe library pins.
STRIPE_API_VERSION = os.environ.get("STRIPE_API_VERSION", "")

# --- Salesforce -----------------------------------------------------------------------
# Booking sync (integrations/salesforce). Off while neither a session id nor a username
# is set. Password login posts to SALESFORCE_INSTANCE_URL when it is set (a My Domain
# URL, or our simulator: `manage.py run_salesforce_simulator` prints every value), else
# to https://<SALESFORCE_DOMAIN or "login">.salesforce.com. SALESFORCE_CA_BUNDLE trusts
# a private certificate (the simulator's self-signed one).
SALESFORCE_INSTANCE_URL = os.environ.get("SALESFORCE_INSTANCE_URL", "")
SALESFORCE_USERNAME = os.environ.get("SALESFORCE_USERNAME", "")
SALESFORCE_PASSWORD = os.environ.get("SALESFORCE_PASSWORD", "")
SALESFORCE_SECURITY_TOKEN = os.environ.get("SALESFORCE_SECURITY_TOKEN", "")
SALESFORCE_DOMAIN = os.environ.get("SALESFORCE_DOMAIN", "")
SALESFORCE_CA_BUNDLE = os.environ.get("SALESFORCE_CA_BUNDLE", "")
SALESFORCE_SESSION_ID = os.environ.get("SALESFORCE_SESSION_ID", "")
SALESFORCE_API_VERSION = os.environ.get("SALESFORCE_API_VERSION", "59.0")
SALESFORCE_TIMEOUT = float(os.environ.get("SALESFORCE_TIMEOUT", "30"))

# Bank statements (billing.bank): apply a credit automatically when it names one open
# invoice set of one customer and pays it exactly; everything else waits in the queue.
BANK_AUTO_APPLY_EXACT_MATCHES = env_bool("BANK_AUTO_APPLY_EXACT_MATCHES", True)

# ECB reference rates (billing.fx): a daily task loads them from this URL when it is set,
# e.g. https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip (off when empty).
FX_RATES_URL = os.environ.get("FX_RATES_URL", "")
FX_RATES_TIMEOUT = float(os.environ.get("FX_RATES_TIMEOUT", "30"))

# Write-offs (billing.writeoffs), per invoice currency ("*": any other): above the
# approval threshold a second person approves; the small-balance batch takes balances up
# to its maximum.
WRITE_OFF_APPROVAL_THRESHOLDS = {"*": "500.00", "JPY": "75000"}
SMALL_BALANCE_WRITE_OFF_MAX = {"*": "1.00", "JPY": "150"}
# The same two-person rule for a person's refunds and credit notes, per currency (JSON in
# the environment); an empty object turns it off (credit notes: off by default).
REFUND_APPROVAL_THRESHOLDS = json.loads(
    os.environ.get("REFUND_APPROVAL_THRESHOLDS", '{"*": "5000.00", "JPY": "750000"}')
)
CREDIT_NOTE_APPROVAL_THRESHOLDS = json.loads(
    os.environ.get("CREDIT_NOTE_APPROVAL_THRESHOLDS", "{}")
)

# The one export log (core.export_log): the model that keeps who exported what.
LEDGERLINE_EXPORT_LOG_MODEL = "collections_app.ExportLog"

# --- Error codes ----------------------------------------------------------------------
# Each app's catalog by module prefix: an endpoint's documented 400 lists its app's codes.
LEDGERLINE_ERROR_CATALOGS = {
    "ordermgmt": "ordermgmt.error_codes.OrderError",
    "billing": "billing.error_codes.BillingError",
    "billing.revenue": "billing.revenue.error_codes.RevenueError",
    "collections_app": "collections_app.error_codes.CollectionsError",
    "integrations": "integrations.error_codes.IntegrationError",
}
LEDGERLINE_SHARED_ERROR_CATALOG = "core.error_codes.CoreError"

# Customer portal: billing contacts sign in with a one-time link e-mailed to them.
PORTAL_LINK_MINUTES = int(os.environ.get("PORTAL_LINK_MINUTES", "30"))
PORTAL_SESSION_SECONDS = int(os.environ.get("PORTAL_SESSION_SECONDS", "3600"))
