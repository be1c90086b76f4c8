"""The test suite. SQLite and a local-memory cache unless DATABASE_URL / REDIS_URL point at real servers."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
# Fast hashing: the tests create many users; production keeps the default PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-memory outbox; a Celery worker started by a test (a process of its own) is pointed at the test's SMTP server.
EMAIL_BACKEND = env("TEST_EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
# Tasks run in-process in unit tests; the end-to-end test starts a real worker against the Redis broker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests scrape /metrics anonymously unless a test turns protection on; tests/ops checks production refuses it.
METRICS_ALLOW_ANONYMOUS = True
METRICS_BEARER_TOKEN = ""
