"""Build time: the Docker image runs `collectstatic` with these settings.

They need no secret and no service (production refuses to start without both), and give the static files the
same storage as production, which imports STORAGES from here.
"""

from .base import *  # noqa: F403

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
