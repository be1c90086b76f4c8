"""The real path: API -> PostgreSQL -> Redis broker -> a Celery worker process -> result, ledger and audit."""

import os
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

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker():
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname=e2e@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    # The test process publishes to the same broker (REDIS_URL) instead of running tasks in-process.
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield process
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        celery_app.conf.task_always_eager = was_eager
        # Closing lines of the worker log help when this test fails; they hold ids only, never answers.
        print(output[-3000:])


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
