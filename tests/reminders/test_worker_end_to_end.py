"""The real path: beat task -> Redis broker -> a Celery worker process -> SMTP server, with a real retry."""

import time

import pytest

from reminders.models import Reminder
from reminders.tasks import send_due_reminders
from tests.conftest import real_celery_worker
from tests.reminders.conftest import opt_in

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(smtp_server, settings):
    smtp = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(settings.EMAIL_PORT), "EMAIL_USE_TLS": "false"}
    with real_celery_worker(
        hostname="reminders-e2e",
        TEST_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        REMINDER_RETRY_SECONDS="1",
        **smtp,
    ) as process:
        yield process


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
