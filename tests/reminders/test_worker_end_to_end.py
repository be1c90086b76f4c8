"""The real path: beat task -> Redis broker -> a Celery worker process -> SMTP server, with a real retry."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app as celery_app
from reminders.models import Reminder
from reminders.tasks import send_due_reminders
from tests.reminders.conftest import opt_in

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(smtp_server, settings):
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "TEST_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(settings.EMAIL_PORT),
        "EMAIL_USE_TLS": "false",
        "REMINDER_RETRY_SECONDS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--hostname=reminders-e2e@%h"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
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
        print(output[-3000:])


def test_a_worker_retries_a_refused_reminder_after_its_backoff_and_delivers_it_once(smtp_server, worker, member):
    smtp_server.refuse = 1  # the first attempt gets "451 try again later"
    opt_in(member)

    send_due_reminders.delay()

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not smtp_server.envelopes:
        time.sleep(0.5)
    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [[member.email]]
    reminder = Reminder.objects.get()
    while time.monotonic() < deadline and reminder.status != Reminder.Status.SENT:
        time.sleep(0.2)
        reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENT, 2)
    assert smtp_server.refused == 1
