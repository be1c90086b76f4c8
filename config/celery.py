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
def _warm_up(**kwargs) -> None:
    """In the worker's main process, before the pool forks: every child starts with the models loaded."""
    from config.warmup import freeze_for_fork, warm_up

    warm_up()
    freeze_for_fork()


@signals.task_prerun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """Keep the database connection across tasks (CELERY_DB_REUSE_MAX), but not a broken or too old one.

    What Django does at the start of every request (CONN_MAX_AGE, a connection left unusable by an error);
    Celery's Django fix-up would otherwise close it around every task, a new connection each time.
    """
    from django.db import close_old_connections

    # A task run in-process (no broker, tests) shares its caller's connection and maybe its transaction.
    if task is not None and not getattr(task.request, "is_eager", False):
        close_old_connections()


@signals.worker_init.connect
def _start_worker_metrics(**kwargs) -> None:
    """The worker's own metrics listener on CELERY_METRICS_PORT, when set (docs/operations.md)."""
    from django.conf import settings

    if settings.CELERY_METRICS_PORT:
        core.worker_metrics.serve_worker_metrics(
            app, port=settings.CELERY_METRICS_PORT, address=settings.CELERY_METRICS_ADDRESS
        )
