"""The real path: API -> PostgreSQL -> Redis broker -> a Celery worker process -> result, ledger and audit."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from billing.models import LedgerEntry
from config.celery import app as celery_app
from screening.models import Screening
from tests.conftest import real_celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    with real_celery_worker(hostname="e2e") as process:
        yield process


def wait_until_finished(client, url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["status"] in {"done", "failed"}:
            return body
        time.sleep(0.2)
    raise AssertionError(f"screening still {body['status']} after {timeout}s")


def test_a_real_worker_scores_a_submitted_screening_and_the_ledger_agrees(worker, member, member_api, answers):
    response = member_api.post(reverse("api-screening-list"), {"model": "ensemble", "answers": answers}, format="json")
    assert response.status_code == 202

    body = wait_until_finished(member_api, response.json()["url"])

    assert body["status"] == "done", body
    assert 0 <= body["result"]["probability"] <= 1
    screening = Screening.objects.get(id=body["id"])
    assert screening.task_id
    entries = LedgerEntry.objects.filter(screening=screening).order_by("id")
    assert [(e.kind, e.amount) for e in entries] == [("hold", -7), ("capture", -7)]
    member.wallet.refresh_from_db()
    assert (member.wallet.available, member.wallet.held) == (3, 0)
    call_command("billing_audit")


def start_worker(**env: str) -> subprocess.Popen:
    """A prefork worker in a process group of its own, so a test can kill it and its pool child at once."""
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork", "--concurrency=1",
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname=kill@%h"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": database_url,
             "CELERY_TASK_ALWAYS_EAGER": "false", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def wait_for(what: str, check, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout}s")


def test_a_worker_killed_mid_batch_leaves_every_screening_done_or_released(member, answers, settings):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from billing.models import Wallet
    from billing.services import wallet_grant
    from screening.services import screening_submit, screening_sweep_stuck

    wallet_grant(user=member, amount=100)
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False  # submissions go to the broker, where no worker is yet
    workers: list[subprocess.Popen] = []
    try:
        ids = [
            screening_submit(user=member, model_key="logistic", answers={**answers, "age": 20 + n}).screening.id
            for n in range(12)
        ]
        with transaction.atomic():
            # Hold the member's wallet: the worker claims and scores a batch, then waits to settle it.
            Wallet.objects.select_for_update().get(user=member)
            workers.append(start_worker(SCREENING_BATCH_SIZE="5"))
            wait_for("a batch waiting to settle", lambda: _waiting_on_a_lock(connection))
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=20)
        statuses = dict(Screening.objects.filter(id__in=ids).values_list("id", "status"))
        claimed = [pk for pk, status in statuses.items() if status == Screening.Status.RUNNING]
        assert len(claimed) == 5, statuses  # the dead worker's batch, claimed and never settled
        assert not LedgerEntry.objects.filter(screening__in=claimed, kind="capture").exists()

        # Recovery: the sweep, run as if its delay had passed, queues the abandoned batch again (and the seven
        # still waiting, which it cannot tell from stuck ones at that time); a new worker finishes everything.
        later = timezone.now() + timedelta(seconds=settings.SCREENING_STUCK_AFTER_SECONDS + 1)
        assert screening_sweep_stuck(now=later) == {"requeued": 12, "failed": 0}
        workers.append(start_worker())
        wait_for(
            "every screening finished",
            lambda: not Screening.objects.filter(id__in=ids, status__in=["pending", "running"]).exists(),
        )
    finally:
        celery_app.conf.task_always_eager = was_eager
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)

    for screening in Screening.objects.filter(id__in=ids):
        kinds = sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True))
        assert kinds == (["capture", "hold"] if screening.status == "done" else ["hold", "release"])
    assert Screening.objects.filter(id__in=ids, status="done").count() == 12
    member.wallet.refresh_from_db()
    assert (member.wallet.available, member.wallet.held) == (110 - 12, 0)
    call_command("billing_audit")


def _waiting_on_a_lock(conn) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # statistics are read once per transaction otherwise
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_killed_workers_batch_is_handed_back_as_soon_as_its_session_ends(member, answers):
    from django.db import transaction

    from billing.models import Wallet
    from billing.services import wallet_grant
    from screening.services import screening_reclaim_abandoned, screening_submit

    wallet_grant(user=member, amount=100)
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    workers: list[subprocess.Popen] = []
    try:
        ids = [
            screening_submit(user=member, model_key="logistic", answers={**answers, "age": 20 + n}).screening.id
            for n in range(12)
        ]
        with transaction.atomic():
            Wallet.objects.select_for_update().get(user=member)
            workers.append(start_worker(SCREENING_BATCH_SIZE="5"))
            wait_for("a batch waiting to settle", lambda: _waiting_on_a_lock(connection))
            os.killpg(workers[0].pid, signal.SIGKILL)
            workers[0].wait(timeout=20)

        # No clock is moved on: the dead worker's database session is gone (its backend notices the lost client
        # while it waits, within a second), so its lease is free and exactly its batch comes back now; the seven
        # still waiting in the queue are left alone.
        assert wait_for("the lost batch reclaimed", lambda: screening_reclaim_abandoned()["requeued"]) == 5
        workers.append(start_worker())
        wait_for(
            "every screening finished",
            lambda: not Screening.objects.filter(id__in=ids, status__in=["pending", "running"]).exists(),
        )
    finally:
        celery_app.conf.task_always_eager = was_eager
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)

    assert Screening.objects.filter(id__in=ids, status="done").count() == 12
    for screening in Screening.objects.filter(id__in=ids):
        kinds = sorted(LedgerEntry.objects.filter(screening=screening).values_list("kind", flat=True))
        assert kinds == ["capture", "hold"]
    member.wallet.refresh_from_db()
    assert (member.wallet.available, member.wallet.held) == (110 - 12, 0)
    call_command("billing_audit")
