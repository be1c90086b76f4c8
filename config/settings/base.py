"""Settings shared by every environment; each value can be set from the environment.

Defaults need no server: SQLite when DATABASE_URL is unset, a local-memory cache when REDIS_URL is unset,
and Celery tasks run in-process when no broker is configured.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF

from predictor import catalogue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is a convenience for development; the process environment always wins.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-secret-key-change-me-0123456789-abcdefghijklmnopq")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, its site a password and a one-time code away (core.admin_site, docs/operations.md).
    "core.admin_config.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_results",
    "django_prometheus",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "auditlog",
    "core",
    "accounts",
    "billing",
    "predictor",
    "symptoms",
    "screening",
    "sharing",
    "reminders",
    "privacy",
]

MIDDLEWARE = [
    # django-prometheus: first and last, so the request metrics time every other middleware too.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Before everything that logs, so every log line of the request carries its id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (django-csp) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The person's language (session), else the switcher's cookie, else Accept-Language (docs/web.md#languages).
    "core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user as verified once they have entered a one-time password; the admin requires it.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "billing.context_processors.credit_terms",
                "core.context_processors.site_help",
            ],
        },
    },
]

# --- Data stores -----------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
# Before each request's first query on a kept connection, Django's check (a `SELECT 1`): a connection the database
# ended while idle (a restart, a failover) is replaced, not failed on.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
# django-prometheus wraps the database backend to count and time every query (django_db_* metrics).
_INSTRUMENTED_DB_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters sent apart from the statement (psycopg 3's server-side binding) instead of quoted into its text
    # in Python: encrypted answers and results are up to a few kilobytes of text to quote on every write and read.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool(
        "DATABASE_SERVER_SIDE_BINDING", default=True
    )
    # A statement a connection has run this many times is prepared: PostgreSQL parses and plans it once per
    # connection. Empty turns preparing off (a transaction-pooling proxy in front of PostgreSQL; docs/operations.md).
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = int(_prepare_threshold) if _prepare_threshold else None
DATABASES["default"]["ENGINE"] = _INSTRUMENTED_DB_ENGINES.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's own Redis backend, wrapped by django-prometheus to count gets, hits and misses.
            "BACKEND": "django_prometheus.cache.backends.redis.NativeRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="mhc"),
            "TIMEOUT": 300,
            # A Redis that is down must fail a request (or /readyz) in a second, not hang a worker.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=1.0),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=2.0),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache", "LOCATION": "mhc"}}
# The OpenAPI schema, rendered once per process for each language and format (config/urls.py): generating it
# takes ~150 ms and it changes only with a deploy. A few entries: the languages times the formats asked for.
SCHEMA_CACHE_SECONDS = env.int("SCHEMA_CACHE_SECONDS", default=3600)
CACHES["schema"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "mhc-schema",
    "OPTIONS": {"MAX_ENTRIES": 24},
}

# --- Celery ----------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# Without a broker, tasks run in the calling process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = False
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# The screening row is the result: no task stores a result row of its own (two statements per task) unless it
# asks with ignore_result=False.
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fix-up closes the database connection around every task unless told to reuse it: keep it for
# this many tasks (config/celery.py still drops a broken or CONN_MAX_AGE-old one before each task).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=10000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# A task is acknowledged only once it has finished, so a worker that dies mid-task leaves the message
# for another worker; the task itself is idempotent (see screening.services.screening_claim_batch).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600)}
# The worker outlives a broker outage: it retries the connection for ever (at start and after a loss) instead of
# exiting after Celery's default 100 attempts; compose's restart policy is the second line.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# Publishing a screening while the broker is down gives up in about a second (the submission is kept and
# published again by requeue_unpublished_screenings) instead of holding the request.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BEAT_SCHEDULE = {
    # Hourly, so the 1st of the month is covered within the hour and a missed run catches up; a run finds nobody
    # due once everyone has this month's allowance. Safe with two beats: the ledger allows one per month.
    "grant-monthly-allowance": {
        "task": "billing.tasks.grant_monthly_allowance",
        "schedule": crontab(minute=env.int("ALLOWANCE_MINUTE", default=5)),
    },
    "sweep-stuck-screenings": {
        "task": "screening.tasks.sweep_stuck_screenings",
        "schedule": env.int("SCREENING_SWEEP_EVERY_SECONDS", default=60),
    },
    # A killed worker's screenings are handed back seconds after its database session ends (its claim lease).
    "reclaim-abandoned-screenings": {
        "task": "screening.tasks.reclaim_abandoned_screenings",
        "schedule": env.int("SCREENING_RECLAIM_EVERY_SECONDS", default=5),
    },
    # Screenings submitted while the broker was down reach the queue seconds after it is back.
    "requeue-unpublished-screenings": {
        "task": "screening.tasks.requeue_unpublished_screenings",
        "schedule": env.int("SCREENING_REQUEUE_EVERY_SECONDS", default=10),
    },
    # Hourly: everyone whose re-check reminder is due today gets it within the hour that follows midnight (UTC),
    # and a pending one whose task was lost is published again. Safe with two beats: one row per due date.
    "send-due-reminders": {
        "task": "reminders.tasks.send_due_reminders",
        "schedule": crontab(minute=env.int("REMINDERS_MINUTE", default=15)),
    },
}

# --- Auth ------------------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The console backend is for development only: production refuses it (reset links would land in the log).
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# Seconds before a silent mail server counts as down: a reminder is retried (docs/reminders.md), a password-reset
# request answers, instead of waiting until a time limit kills the task or the request.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Mental Health Checker <no-reply@localhost>")
# Who runs this deployment and how people reach them, named in the privacy notice (/privacy/). Empty: the notice
# says the operator has not given them, rather than inventing one. Every real deployment sets both.
SITE_OPERATOR_NAME = env("SITE_OPERATOR_NAME", default="")
SITE_CONTACT_EMAIL = env("SITE_CONTACT_EMAIL", default="")
# The site's address as people reach it, for links in e-mails sent outside a request (re-check reminders).
# Production defaults to https:// and the first of ALLOWED_HOSTS.
SITE_URL = env("SITE_URL", default="http://localhost:8000")
# A reminder e-mail the mail server refuses is tried this many times in all, REMINDER_RETRY_SECONDS after the
# first failure and twice as long after each next one; then it is counted as failed (docs/reminders.md).
REMINDER_SEND_ATTEMPTS = env.int("REMINDER_SEND_ATTEMPTS", default=4)
REMINDER_RETRY_SECONDS = env.int("REMINDER_RETRY_SECONDS", default=60)

# Staff second factor (django-otp): the admin asks for a code from an authenticator app (TOTP) or a one-time
# static code; the issuer is the name the authenticator app shows. See docs/operations.md for the first device.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Mental Health Checker")
# Staff reads of health data are recorded by core.audit with django-auditlog; no model is tracked automatically
# (a change log would copy answers into the audit table).
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# --- Encryption at rest (core.fields, docs/privacy.md) -----------------------------------------------------------
# Fernet keys, comma-separated, newest first: the first encrypts, every one decrypts. Generate one with
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
# Empty (development, tests): a key derived from SECRET_KEY and SALT_KEY. Production refuses to start without keys.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
SALT_KEY = env.list("FIELD_ENCRYPTION_SALT", default=["mental-health-checker-development-only"])

# --- Browser security headers -----------------------------------------------------------------------------------
# Only this site's own scripts, styles and images run: no inline script or style (bars are SVG attributes, the
# API docs load Swagger UI's start-up script as a file), nothing from a CDN, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# No page here needs a camera, a microphone, the location, payments or USB; say so, for embedded content too.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()"

# --- API -------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # How many proxies in front of the app append to X-Forwarded-For. 0 trusts only the socket's address, so a
    # client cannot dodge the rate limits by sending its own X-Forwarded-For; set 1 behind one reverse proxy.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A signed token, checked against cached sign-in state instead of a user read (accounts.authentication).
        "accounts.authentication.CachedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 20,
    # Adds every error status an operation can answer to the OpenAPI schema (core.openapi).
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON bodies only (anything else is a 415): the schema types every value, and a form cannot carry a number, a
    # boolean or the answers object.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON answers escape non-ASCII characters, so text the client sent (a lone surrogate in an unknown answer key,
    # echoed in the 400) can always be encoded; the decoded strings are the same.
    "UNICODE_JSON": False,
    "DEFAULT_THROTTLE_RATES": {
        # Password-guessing surface: login, token and registration endpoints.
        "auth": env("THROTTLE_AUTH_RATE", default="20/min"),
        # Symptom checks without an account, per client address (docs/symptoms.md#without-an-account).
        "symptoms_visitor": env("THROTTLE_SYMPTOMS_VISITOR_RATE", default="30/hour"),
        # Openings of one share link (sharing.views): a clinic opens a link a few times, a script many.
        "share_link": env("THROTTLE_SHARE_LINK_RATE", default="30/hour"),
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a hash of the password: changing or resetting it locks out every token issued before.
    "CHECK_REVOKE_TOKEN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mental Health Checker API",
    "DESCRIPTION": "Depression-risk screening estimates from classical models trained on NHANES. Not a diagnosis.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its UI are public documentation; every operation still declares its own permissions.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI's files are served from this site, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that several questions share get one name each (drf-spectacular would warn about two names).
    "ENUM_NAME_OVERRIDES": {
        "HealthRatingEnum": "predictor.schema.FREQUENCY_HEALTH",
        "YesNoEnum": "predictor.schema.YES_NO",
        # The consents at sign-up (accounts.api.ConsentField): true is the only value accepted.
        "ConsentEnum": [(True, True)],
    },
}

# --- Product ---------------------------------------------------------------------------------------------------
WELCOME_CREDITS = env.int("WELCOME_CREDITS", default=10)
# Free credits each person receives on the first day of every month (UTC), after the month they joined in.
MONTHLY_ALLOWANCE_CREDITS = env.int("MONTHLY_ALLOWANCE_CREDITS", default=10)
# A staff grant or adjustment of more credits than this asks the staff member to confirm it first.
STAFF_GRANT_CONFIRM_ABOVE = env.int("STAFF_GRANT_CONFIRM_ABOVE", default=50)
ML_ARTIFACTS_DIR = BASE_DIR / "ml_artifacts"
# Empty: the version named in ml_artifacts/ACTIVE.
PREDICTOR_ACTIVE_VERSION = env("PREDICTOR_ACTIVE_VERSION", default="")
# Credits per model: COST_<KEY> (COST_LOGISTIC, COST_FOREST, ...), else the price in predictor/catalogue.py.
PREDICTOR_MODEL_COSTS = {model.key: env.int(model.cost_setting, default=model.price) for model in catalogue.MODELS}
# A screening unfinished this long after it was queued or started is re-queued once, then failed and refunded.
SCREENING_STUCK_AFTER_SECONDS = env.int("SCREENING_STUCK_AFTER_SECONDS", default=120)
# A scoring task takes its own screening and up to this many minus one others waiting, and scores them in one
# vectorised call per model and one transaction (docs/screening.md). 1 turns batching off.
SCREENING_BATCH_SIZE = env.int("SCREENING_BATCH_SIZE", default=32)
# GET of a screening with `Prefer: wait=N` (RFC 7240) answers when the result is stored, after at most
# min(N, SCREENING_WAIT_MAX_SECONDS) seconds (below gunicorn's timeout). At most SCREENING_WAIT_MAX_WAITERS
# requests wait at once in one web process: two of its gunicorn threads always stay free for other requests.
SCREENING_WAIT_MAX_SECONDS = env.int("SCREENING_WAIT_MAX_SECONDS", default=20)
SCREENING_WAIT_MAX_WAITERS = env.int(
    "SCREENING_WAIT_MAX_WAITERS", default=max(1, env.int("GUNICORN_THREADS", default=12) - 2)
)
# A client that waits (POST with `Prefer: wait=N`, the web form) has its screening scored in its own request, by the
# services a worker runs, while fewer than this many are being scored so in its web process; the rest, and every
# submission that does not wait, go to the queue, whose batches cost less per screening under load
# (docs/screening.md). 0 sends every submission to the queue.
SCREENING_SCORE_IN_REQUEST_MAX = env.int("SCREENING_SCORE_IN_REQUEST_MAX", default=1)
NHANES_DIR = env.path("NHANES_DIR", default=str(BASE_DIR.parent / "shared" / "data" / "nhanes"))

# --- I18N, static ----------------------------------------------------------------------------------------------
# Each language in its own name, as the switcher shows it. Adding one: README "Languages".
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
# The switcher's cookie keeps the choice of people who are not signed in (production: HTTPS only).
LANGUAGE_COOKIE_SECURE = False
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Operations: metrics, health, logs ------------------------------------------------------------------------
# /metrics answers a request carrying "Authorization: Bearer <METRICS_BEARER_TOKEN>". Without a token it is open
# only where METRICS_ALLOW_ANONYMOUS is true (local development and tests); production sets it false, so a
# deployment without a token exposes no metrics at all. See docs/operations.md.
METRICS_BEARER_TOKEN = env("METRICS_BEARER_TOKEN", default="")
METRICS_ALLOW_ANONYMOUS = env.bool("METRICS_ALLOW_ANONYMOUS", default=False)
# django-prometheus's migration gauges are served by core.metrics.MigrationsCollector when scraped; its own
# start-up export would query the database while apps load.
PROMETHEUS_EXPORT_MIGRATIONS = False
# Request latency buckets (seconds) for django_http_requests_latency_seconds_by_view_method.
PROMETHEUS_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, float("inf"))
# The Celery worker serves its own metrics on this port when set (a separate listener; see config/celery.py).
CELERY_METRICS_PORT = env.int("CELERY_METRICS_PORT", default=0)
CELERY_METRICS_ADDRESS = env("CELERY_METRICS_ADDRESS", default="127.0.0.1")
# Accepted from a proxy or client when it looks like an id; otherwise each request gets a fresh one.
REQUEST_ID_HEADER = "X-Request-ID"

# "readable" for people at a terminal, "json" for a log pipeline (production's default). Every record carries
# request_id and screening_id; questionnaire answers and results are never logged (core.logging redacts them
# if code passes them by mistake).
LOG_FORMAT = env("LOG_FORMAT", default="readable")
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "core.logging.ContextFilter"},
        "redact": {"()": "core.logging.RedactFilter"},
        "no_task_success": {"()": "core.logging.TaskSuccessFilter"},
        "share_token": {"()": "sharing.logging.ShareTokenFilter"},
    },
    "formatters": {
        "readable": {"()": "core.logging.ReadableFormatter"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # One line per request comes from core.middleware; gunicorn's access log would repeat it without ids.
        "django.server": {"level": "WARNING"},
        # Celery's "Received task" and "Task ... succeeded" lines, two per message: the screening's own lines
        # (submitted, done, failed; with its id and the request's) say the same once per screening. Retries,
        # failures and a lost worker are still logged.
        "celery.worker.strategy": {"level": "WARNING"},
        "celery.app.trace": {"filters": ["no_task_success"]},
        # A refused share link's path is its token (sharing.logging).
        "django.request": {"filters": ["share_token"]},
    },
}
