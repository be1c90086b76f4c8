"""Two beats at once, each on its own database connection: one reminder per person and due date."""

import threading

import pytest
from django.core import mail
from django.db import connection

from reminders import services
from reminders.models import Reminder
from reminders.tasks import send_due_reminders
from tests.factories import UserFactory
from tests.reminders.conftest import opt_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_beats_send_one_reminder_per_due_date(monkeypatch):
    people = [UserFactory() for _ in range(3)]
    for person in people:
        opt_in(person)
    # Race hook: both beats have read who is due before either records anything, so a check in Python ("is there
    # a row yet?") would pass in both; only the unique constraint can stop the second insert.
    both_read = threading.Barrier(2, timeout=20)
    due_list = services.reminder_due_list

    def due_list_then_wait(**kwargs):
        due = due_list(**kwargs)
        both_read.wait()
        return due

    monkeypatch.setattr(services, "reminder_due_list", due_list_then_wait)
    published, errors = [], []

    def beat():
        try:
            published.append(send_due_reminders())
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    # Between them the two beats recorded each person once; every insert of the other collided.
    assert len(published) == 2
    assert sum(published) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in people)
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 3
