"""Production: refuses to start without its secrets and hosts, and passes `manage.py check --deploy`."""

from django.core.exceptions import ImproperlyConfigured

from core.keys import key_problems

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND, LOGGING, REDIS_URL, REST_FRAMEWORK, SIMPLE_JWT, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the host names this site answers to.")
# Links in e-mails (re-check reminders) point here.
SITE_URL = env("SITE_URL", default=f"https://{ALLOWED_HOSTS[0].lstrip('.')}")
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY")
# A leaked session secret must not also mint API tokens, and the other way round.
if JWT_SIGNING_KEY == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY.")
SIMPLE_JWT = {**SIMPLE_JWT, "SIGNING_KEY": JWT_SIGNING_KEY}
# Without Redis, production would score inside the web process and keep rate limits per process.
if not REDIS_URL:
    raise ImproperlyConfigured("Set REDIS_URL: production needs Redis for the cache, rate limits and the task queue.")
CELERY_TASK_ALWAYS_EAGER = False
# Answers and results are encrypted with keys of their own, never with a key derived from the session secret.
if not env.list("FIELD_ENCRYPTION_KEYS", default=[]):
    raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS: production encrypts answers and results at rest.")
# A key that lost a character would pass start-up and fail every encrypted write (core.fields.key_problems).
if _key_problems := key_problems(env.list("FIELD_ENCRYPTION_KEYS")):
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: " + "; ".join(_key_problems))
# The console backend prints e-mails, working password-reset links included, into the web log.
if EMAIL_BACKEND == "django.core.mail.backends.console.EmailBackend":
    raise ImproperlyConfigured("Set EMAIL_BACKEND (and EMAIL_HOST...): production never prints e-mails to its log.")

# Trust X-Forwarded-Proto only when a proxy that sets it is configured (NUM_PROXIES >= 1): without one, any client
# could send the header and make a plain-HTTP request count as secure.
if REST_FRAMEWORK["NUM_PROXIES"] > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Prometheus and the container health checks talk plain HTTP to the app server on the private network.
SECURE_REDIRECT_EXEMPT = [r"^metrics$", r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# The storage the image's static files were collected with (config/settings/build.py).

# /metrics needs "Authorization: Bearer $METRICS_BEARER_TOKEN"; without a token set, nobody gets metrics.
METRICS_ALLOW_ANONYMOUS = False

# One JSON object per line for the log pipeline, unless LOG_FORMAT says otherwise.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {**LOGGING, "handlers": {"console": {**LOGGING["handlers"]["console"], "formatter": LOG_FORMAT}}}
