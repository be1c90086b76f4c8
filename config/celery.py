import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("mhc")
# Every Celery setting lives in Django settings under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Task metrics and log context: connects Celery signal handlers in every process that imports the app.
import core.worker_metrics  # noqa: E402


@signals.setup_logging.connect
def _keep_django_logging(**kwargs) -> None:
    """Celery would replace the root logger's handlers; Django's LOGGING (JSON in production) stays in charge."""


@signals.worker_init.connect
def _start_worker_metrics(**kwargs) -> None:
    """The worker's own metrics listener on CELERY_METRICS_PORT, when set (docs/operations.md)."""
    from django.conf import settings

    if settings.CELERY_METRICS_PORT:
        core.worker_metrics.serve_worker_metrics(
            app, port=settings.CELERY_METRICS_PORT, address=settings.CELERY_METRICS_ADDRESS
        )
