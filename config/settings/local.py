"""Development: `make run`. Debug on; everything else from base."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# /metrics is open on a developer's machine unless METRICS_BEARER_TOKEN is set.
METRICS_ALLOW_ANONYMOUS = env.bool("METRICS_ALLOW_ANONYMOUS", default=True)
