"""The web app's /metrics endpoint, protected by a bearer token, correct under several gunicorn processes.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn and the Celery worker set it; see config/gunicorn.py), every process
writes its samples to files in that directory and a scrape merges them, so Prometheus sees one consistent set
of counters however many processes served the traffic. Without it (runserver, tests) the process's own
registry is served.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django_prometheus import migrations as prometheus_migrations
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


class _ProcessRegistry:
    """This process's default registry as one collector of another registry."""

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape_registry(*extra_collectors: object) -> CollectorRegistry:
    """A registry for one scrape: every process's samples, plus collectors that compute values at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    for collector in extra_collectors:
        registry.register(collector)
    return registry


class MigrationsCollector:
    """django-prometheus's migration gauges, computed when scraped instead of when the app starts.

    Its own export runs in AppConfig.ready(): a query while apps load (Django warns), a start-up that fails while
    the database is briefly away, and per-process gauge files under gunicorn. Same names, read here at most once
    a minute.
    """

    max_age_seconds = 60
    _lock = threading.Lock()
    _cached: tuple[float, dict[str, tuple[int, int]]] = (0.0, {})

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        counts = self._counts()
        applied = GaugeMetricFamily(
            "django_migrations_applied_total",
            "Count of applied migrations by database connection",
            labels=["connection"],
        )
        unapplied = GaugeMetricFamily(
            "django_migrations_unapplied_total",
            "Count of unapplied migrations by database connection",
            labels=["connection"],
        )
        for alias, (done, pending) in counts.items():
            applied.add_metric([alias], done)
            unapplied.add_metric([alias], pending)
        yield applied
        yield unapplied

    @classmethod
    def _counts(cls) -> dict[str, tuple[int, int]]:
        with cls._lock:
            computed_at, counts = cls._cached
            if time.monotonic() - computed_at < cls.max_age_seconds:
                return counts
            from django.db import connections
            from django.db.migrations.executor import MigrationExecutor

            counts = {}
            for alias in connections:
                try:
                    executor = MigrationExecutor(connections[alias])
                    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
                    counts[alias] = (len(executor.loader.applied_migrations), len(plan))
                except Exception as error:  # the scrape still answers; /readyz reports the database
                    logger.warning("could not read migrations", extra={"error_type": type(error).__name__})
            cls._cached = (time.monotonic(), counts)
            return counts


# django-prometheus registered (empty) gauges under the same names; this process serves the collector's instead.
for _gauge in (prometheus_migrations.applied_migrations, prometheus_migrations.unapplied_migrations):
    with contextlib.suppress(KeyError):
        REGISTRY.unregister(_gauge)


# Collectors computed when Prometheus scrapes; apps add theirs in AppConfig.ready() (the predictor adds the
# active model version), so core knows no domain app.
_SCRAPE_TIME_COLLECTORS: list[Callable[[], object]] = []


def register_scrape_time_collector(factory: Callable[[], object]) -> None:
    if factory not in _SCRAPE_TIME_COLLECTORS:
        _SCRAPE_TIME_COLLECTORS.append(factory)


def scrape_time_collectors() -> list[object]:
    return [factory() for factory in _SCRAPE_TIME_COLLECTORS] + [MigrationsCollector()]


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_BEARER_TOKEN
    if not token:
        return bool(settings.METRICS_ALLOW_ANONYMOUS)
    supplied = request.headers.get("Authorization", "")
    return hmac.compare_digest(supplied.encode(), f"Bearer {token}".encode())


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        response = HttpResponse("Metrics need a bearer token.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = scrape_registry(*scrape_time_collectors())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
