"""/healthz: the process answers. /readyz: it can serve a screening end to end (database, cache, broker, model).

Both are plain Django views with no authentication and no database session, so a load balancer or the compose
health check can call them every few seconds. /readyz names what failed and never echoes connection strings.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2


class CheckFailed(Exception):
    pass


def check_database() -> str:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
    return connections["default"].vendor


def check_cache() -> str:
    cache = caches["default"]
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise CheckFailed("a value written was not read back")
    cache.delete(key)
    return _cache_kind()


def _cache_kind() -> str:
    backend = settings.CACHES["default"]["BACKEND"].lower()
    if "redis" in backend:
        return "redis"
    if "locmem" in backend:
        return "locmem"
    return backend.rsplit(".", 1)[-1]


def broker_configured() -> bool:
    url = settings.CELERY_BROKER_URL or ""
    return bool(url) and not url.startswith("memory://") and not settings.CELERY_TASK_ALWAYS_EAGER


def check_broker() -> str:
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    with Connection(url, connect_timeout=CHECK_TIMEOUT_SECONDS, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT_SECONDS)
        return conn.transport.driver_name


def check_worker() -> str:
    from celery import current_app

    # A broadcast ping over the broker: only a worker whose consumer is connected and running answers it.
    replies = current_app.control.ping(timeout=CHECK_TIMEOUT_SECONDS / 2, limit=1)
    if not replies:
        raise CheckFailed("no worker answered")
    return "a worker answered"


# Name -> a check returning a short detail or raising. Apps add theirs in AppConfig.ready() (the predictor adds
# "model"), so core knows no domain app.
CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "worker": check_worker,
}


def register_readiness_check(name: str, check: Callable[[], str]) -> None:
    CHECKS[name] = check


def run_checks() -> dict[str, dict[str, object]]:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        if name in {"broker", "worker"} and not broker_configured():
            results[name] = {"ok": True, "detail": "not configured (tasks run in-process)"}
            continue
        if name == "worker" and not results.get("broker", {}).get("ok"):
            results[name] = {"ok": False, "detail": "unknown: the broker is unreachable"}
            continue
        try:
            results[name] = {"ok": True, "detail": check()}
        except Exception as error:
            detail = type(error).__name__
            if name == "cache":
                detail = f"{_cache_kind()}: {detail}"
            elif (name == "worker" and isinstance(error, CheckFailed)) or name == "encryption":
                detail = str(error)  # the encryption check names a key by its position, never its value
            elif name == "broker":
                detail = f"{settings.CELERY_BROKER_URL.split(':', 1)[0]}: {detail}"
            results[name] = {"ok": False, "detail": detail}
            logger.warning("readiness check failed", extra={"check": name, "error_type": type(error).__name__})
    return results


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    failed = [name for name, result in results.items() if not result["ok"]]
    body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": results}
    return JsonResponse(body, status=503 if failed else 200)
