"""Celery worker metrics and log context.

Every worker process (the prefork children that run tasks included) counts task runs, failures and retries and
times each task into PROMETHEUS_MULTIPROC_DIR; the worker's main process serves the merged samples, plus the queue
length read from the broker at scrape time, on CELERY_METRICS_PORT. That listener is separate from the web app,
carries no user data and is meant for the private network only (docs/operations.md).

The handlers also give each task's log records the request id of the web request that enqueued it and, for the
scoring task, the screening id.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable

from celery import Celery, signals
from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric

from core.logging import request_id_var, screening_id_var

logger = logging.getLogger(__name__)

TASK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

TASK_RUNS = Counter("mhc_celery_tasks_total", "Celery tasks finished, by task and final state", ["task", "state"])
TASK_FAILURES = Counter("mhc_celery_task_failures_total", "Celery tasks that raised", ["task"])
TASK_RETRIES = Counter("mhc_celery_task_retries_total", "Celery task retries scheduled", ["task"])
TASK_SECONDS = Histogram("mhc_celery_task_seconds", "Celery task run time", ["task"], buckets=TASK_BUCKETS)

# Tasks whose first argument is a screening id: their log records carry it.
SCREENING_TASKS = frozenset({"screening.tasks.score_screening"})
REQUEST_ID_HEADER = "mhc_request_id"

_started: dict[str, tuple] = {}  # task id -> (start time, context tokens)


def _is_ours(task_name: str) -> bool:
    return not task_name.startswith("celery.")


# --- publishing side (web processes, beat) ---------------------------------------------------------------------
@signals.before_task_publish.connect
def _attach_request_id(headers: dict | None = None, **kwargs) -> None:
    request_id = request_id_var.get()
    if headers is not None and request_id:
        headers.setdefault(REQUEST_ID_HEADER, request_id)


# --- worker side -----------------------------------------------------------------------------------------------
@signals.task_prerun.connect
def _task_started(task_id: str, task, args=(), **kwargs) -> None:
    # An eager task (no broker) runs inside the web request: it keeps that request's id, and gets it back after.
    request_id = getattr(task.request, REQUEST_ID_HEADER, None) or request_id_var.get() or task_id
    screening_id = str(args[0]) if task.name in SCREENING_TASKS and args else screening_id_var.get()
    _started[task_id] = (time.perf_counter(), request_id_var.set(request_id), screening_id_var.set(screening_id))


@signals.task_postrun.connect
def _task_finished(task_id: str, task, state: str | None = None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        began, request_token, screening_token = started
        TASK_SECONDS.labels(task=task.name).observe(time.perf_counter() - began)
        with contextlib.suppress(ValueError):  # a pool that switched contexts: the next task sets its own ids
            request_id_var.reset(request_token)
            screening_id_var.reset(screening_token)
    TASK_RUNS.labels(task=task.name, state=(state or "UNKNOWN").lower()).inc()


@signals.task_failure.connect
def _task_failed(sender=None, **kwargs) -> None:
    if sender is not None:
        TASK_FAILURES.labels(task=sender.name).inc()


@signals.task_retry.connect
def _task_retried(sender=None, **kwargs) -> None:
    if sender is not None:
        TASK_RETRIES.labels(task=sender.name).inc()


@signals.worker_process_shutdown.connect
def _process_gone(pid: int | None = None, **kwargs) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())


class QueueLengthCollector:
    """Messages waiting in each queue the worker consumes, asked of the broker when Prometheus scrapes."""

    def __init__(self, app: Celery, queues: Iterable[str]) -> None:
        self.app = app
        self.queues = tuple(queues)

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("mhc_celery_queue_length", "Messages waiting in the broker queue", labels=["queue"])
        try:
            with self.app.connection_for_read() as conn:
                channel = conn.default_channel
                for queue in self.queues:
                    family.add_metric([queue], float(_queue_size(channel, queue)))
        except Exception:
            logger.warning("could not read the queue length from the broker", exc_info=True)
            return
        yield family


def _queue_size(channel, queue: str) -> int:
    size = getattr(channel, "_size", None)  # the Redis transport: LLEN over the queue's priority lists
    if size is not None:
        return int(size(queue))
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except Exception:  # the queue does not exist yet: nothing is waiting
        return 0


def serve_worker_metrics(app: Celery, *, port: int, address: str) -> None:
    """Start the worker's metrics listener in the main process (a daemon thread) and pre-create the series."""
    from core.metrics import scrape_registry, scrape_time_collectors

    queues = [queue.name for queue in app.amqp.queues.values()] or [app.conf.task_default_queue]
    registry = scrape_registry(QueueLengthCollector(app, queues), *scrape_time_collectors())
    start_http_server(port, addr=address, registry=registry)
    # Series that exist before anything happens: a dashboard shows 0 failures, not "no data".
    for name in sorted(name for name in app.tasks if _is_ours(name)):
        TASK_FAILURES.labels(task=name)
        TASK_RETRIES.labels(task=name)
    logger.info("worker metrics listening", extra={"address": address, "port": port})
