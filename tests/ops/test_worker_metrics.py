"""The worker's task metrics, queue length and log context."""

import os
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from config.celery import app as celery_app
from core import worker_metrics
from core.logging import request_id_var, screening_id_var


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_finished_task_is_counted_and_timed():
    task = SimpleNamespace(name="screening.tasks.score_screening", request=SimpleNamespace())
    runs = sample("mhc_celery_tasks_total", task=task.name, state="success")
    timed = sample("mhc_celery_task_seconds_count", task=task.name)

    worker_metrics._task_started(task_id="t-1", task=task, args=("0b5e",))
    assert screening_id_var.get() == "0b5e"
    worker_metrics._task_finished(task_id="t-1", task=task, state="SUCCESS")

    assert sample("mhc_celery_tasks_total", task=task.name, state="success") == runs + 1
    assert sample("mhc_celery_task_seconds_count", task=task.name) == timed + 1
    assert screening_id_var.get() == ""


def test_an_eager_task_keeps_and_then_restores_the_request_context():
    task = SimpleNamespace(name="screening.tasks.score_screening", request=SimpleNamespace())
    token = request_id_var.set("req-in-the-web-process")
    try:
        worker_metrics._task_started(task_id="t-3", task=task, args=("0b5e",))
        assert (request_id_var.get(), screening_id_var.get()) == ("req-in-the-web-process", "0b5e")
        worker_metrics._task_finished(task_id="t-3", task=task, state="SUCCESS")

        assert (request_id_var.get(), screening_id_var.get()) == ("req-in-the-web-process", "")
    finally:
        request_id_var.reset(token)


def test_failures_and_retries_are_counted_per_task():
    sender = SimpleNamespace(name="screening.tasks.score_screening")
    failures = sample("mhc_celery_task_failures_total", task=sender.name)
    retries = sample("mhc_celery_task_retries_total", task=sender.name)

    worker_metrics._task_failed(sender=sender)
    worker_metrics._task_retried(sender=sender)

    assert sample("mhc_celery_task_failures_total", task=sender.name) == failures + 1
    assert sample("mhc_celery_task_retries_total", task=sender.name) == retries + 1


def test_a_task_inherits_the_request_id_of_the_request_that_enqueued_it():
    headers: dict = {}
    token = request_id_var.set("req-abcdef012345")
    try:
        worker_metrics._attach_request_id(headers=headers)
    finally:
        request_id_var.reset(token)
    task = SimpleNamespace(name="screening.tasks.sweep_stuck_screenings", request=SimpleNamespace(**headers))

    worker_metrics._task_started(task_id="t-2", task=task, args=())

    assert request_id_var.get() == "req-abcdef012345"
    assert screening_id_var.get() == ""
    worker_metrics._task_finished(task_id="t-2", task=task, state="SUCCESS")
    assert request_id_var.get() == ""


def test_the_queue_length_is_read_from_the_broker_when_scraped():
    channel = SimpleNamespace(_size=lambda queue: {"celery": 4}[queue])

    assert worker_metrics._queue_size(channel, "celery") == 4


@pytest.mark.redis
def test_the_queue_length_collector_reads_a_real_redis_broker():
    broker = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/3"
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = broker
    try:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.delete("mhc-ops-test")
            conn.default_channel.client.rpush("mhc-ops-test", "a", "b")
        (family,) = worker_metrics.QueueLengthCollector(celery_app, ["mhc-ops-test"]).collect()
        with celery_app.connection_for_write() as conn:
            conn.default_channel.client.delete("mhc-ops-test")
    finally:
        celery_app.conf.broker_url = previous
        celery_app.pool.force_close_all()

    assert [(s.labels, s.value) for s in family.samples] == [({"queue": "mhc-ops-test"}, 2.0)]
