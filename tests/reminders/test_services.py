import logging
import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client import REGISTRY

from privacy.services import user_delete, user_export
from reminders.models import Reminder, ReminderPreference
from reminders.selectors import reminder_due_list, reminder_due_on, reminder_next_due_on
from reminders.services import (
    SENDING_ABANDONED_AFTER,
    reminder_message,
    reminder_preference_disable,
    reminder_preference_set,
    reminders_record_due,
    reminders_sweep,
)
from reminders.tasks import send_due_reminders, send_reminder
from symptoms.services import symptom_check_submit
from tests.factories import PASSWORD, ScreeningFactory, UserFactory
from tests.reminders.conftest import opt_in
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)


def done_screening(owner, **result):
    values = {"probability": 0.3, "risk_band": "moderate", **result}
    return ScreeningFactory(owner=owner, status="done", finished_at=timezone.now(), **values)


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("weeks", "days_later", "due"),
    [
        (2, 13, None),
        (2, 14, START + timedelta(days=14)),
        (2, 27, START + timedelta(days=14)),
        (2, 28, START + timedelta(days=28)),
        (1, 6, None),
        (1, 7, START + timedelta(days=7)),
        (8, 55, None),
        (8, 56, START + timedelta(days=56)),
    ],
)
def test_a_reminder_falls_due_each_cadence_after_the_start(weeks, days_later, due):
    assert reminder_due_on(start=START, cadence_weeks=weeks, today=START + timedelta(days=days_later)) == due


def test_the_due_date_counts_from_the_last_check_when_it_is_later_than_the_opt_in(member):
    opt_in(member, started_days_ago=20)
    assert [item.person_id for item in reminder_due_list()] == [member.pk]

    symptom_check_submit(user=member, instrument_key="gad7", answers=answers_totalling_gad7())
    # A check today starts the series again: nothing due until two weeks from now.
    assert reminder_due_list() == []
    assert reminder_next_due_on(user=member) == timezone.now().date() + timedelta(weeks=2)


def test_a_finished_screening_counts_as_a_check_and_a_failed_one_does_not(member):
    opt_in(member, started_days_ago=20)
    ScreeningFactory(owner=member, status="failed")
    assert len(reminder_due_list()) == 1
    done_screening(member)
    assert reminder_due_list() == []


def test_turning_reminders_on_today_sends_nothing_for_an_old_check(member):
    done_screening(member)
    member.screenings.update(created_at=timezone.now() - timedelta(days=90))
    reminder_preference_set(user=member, cadence_weeks=2)
    assert reminder_due_list() == []
    assert reminder_next_due_on(user=member) == timezone.now().date() + timedelta(weeks=2)


def answers_totalling_gad7():
    from symptoms.instruments import GAD7

    return answers_totalling(GAD7, 5)


def test_a_second_run_records_nothing_new_and_a_retried_task_sends_nothing_again(member):
    opt_in(member)
    first = reminders_record_due()
    assert reminders_record_due() == []
    send_reminder(first[0])
    send_reminder(first[0])  # the same message delivered twice by the broker
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().status == Reminder.Status.SENT


def test_the_database_refuses_a_second_reminder_for_the_same_due_date(member):
    from django.db import IntegrityError, transaction

    Reminder.objects.create(person=member, due_on=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(person=member, due_on=START)


def test_a_person_who_does_not_check_in_is_reminded_again_one_cadence_later(member):
    opt_in(member, started_days_ago=15)
    send_due_reminders()
    assert len(mail.outbox) == 1
    assert reminders_record_due() == []
    later = timezone.now().date() + timedelta(weeks=2)
    assert [item.due_on for item in reminder_due_list(today=later)] == [later - timedelta(days=1)]


def test_deactivated_and_deleted_accounts_get_nothing(member, outsider):
    opt_in(member)
    opt_in(outsider)
    gone = UserFactory()
    opt_in(gone)
    outsider.is_active = False
    outsider.save()
    user_delete(user=gone, password=PASSWORD)

    send_due_reminders()

    assert [message.to for message in mail.outbox] == [[member.email]]
    assert not ReminderPreference.objects.filter(person_id=gone.pk).exists()


def test_an_account_deactivated_after_its_reminder_was_recorded_is_not_sent_it(member):
    opt_in(member)
    [reminder_id] = reminders_record_due()
    member.is_active = False
    member.save()
    assert send_reminder(reminder_id) == "cancelled"
    assert mail.outbox == []


def test_turning_reminders_off_cancels_the_one_not_yet_sent_and_is_counted(member):
    opt_in(member)
    [reminder_id] = reminders_record_due()
    before = metric("mhc_reminders_unsubscribed_total", via="account")
    assert reminder_preference_disable(user=member, via="account") is True
    assert reminder_preference_disable(user=member, via="account") is False
    assert send_reminder(reminder_id) == "skipped"
    assert Reminder.objects.get().status == Reminder.Status.CANCELLED
    assert mail.outbox == []
    assert metric("mhc_reminders_unsubscribed_total", via="account") == before + 1


def test_a_reminder_interrupted_mid_send_is_failed_counted_and_never_sent_again(member, caplog):
    opt_in(member)
    [reminder_id] = reminders_record_due()
    claimed_at = timezone.now() - SENDING_ABANDONED_AFTER - timedelta(minutes=1)
    Reminder.objects.filter(pk=reminder_id).update(status=Reminder.Status.SENDING, claimed_at=claimed_at, attempts=1)
    before = metric("mhc_reminders_failed_total")

    with caplog.at_level(logging.ERROR, logger="reminders.services"):
        assert reminders_sweep() == []

    assert Reminder.objects.get().status == Reminder.Status.FAILED
    assert metric("mhc_reminders_failed_total") == before + 1
    assert send_reminder(reminder_id) == "skipped"
    assert mail.outbox == []
    [record] = [r for r in caplog.records if "interrupted" in r.getMessage()]
    assert record.reminder_id == reminder_id
    assert member.email not in caplog.text


def test_a_pending_reminder_whose_task_was_lost_is_published_again_by_the_next_beat(member):
    opt_in(member)
    [reminder_id] = reminders_record_due()  # recorded, but its task never reached a worker
    Reminder.objects.filter(pk=reminder_id).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    send_due_reminders()
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().status == Reminder.Status.SENT


def _without_links(text: str) -> str:
    return re.sub(r"https?://\S+", "<link>", text)


def test_the_email_holds_no_answer_score_band_or_estimate(member):
    from symptoms.instruments import PHQ9

    check = symptom_check_submit(
        user=member, instrument_key="phq9", answers={**answers_totalling(PHQ9, 17), "phq9_difficulty": 2}
    ).check
    screening = done_screening(member, probability=0.4321, risk_band="high", base_rate=0.087)
    opt_in(member, started_days_ago=30)
    member.symptom_checks.update(created_at=timezone.now() - timedelta(days=15))
    member.screenings.update(created_at=timezone.now() - timedelta(days=15))

    send_due_reminders()

    [message] = mail.outbox
    html = message.alternatives[0][0]
    for text in (message.subject, _without_links(message.body), _without_links(html)):
        for value in ("17", "43", "0.43", "8.7", "high", "severe", "moderate", "PHQ", "GAD", "score", "estimate"):
            assert value not in text, (value, text)
    assert str(check.total) == "17"
    assert screening.risk_band == "high"
    assert "check-in" in message.subject


@pytest.mark.parametrize(("language", "subject"), [("es", "Es hora de"), ("ru", "Пора"), ("", "Time for a check-in")])
def test_the_email_is_in_the_persons_language(member, language, subject):
    member.language = language
    member.save()
    message = reminder_message(person=member, cadence_weeks=3)
    assert message.subject.startswith(subject)
    assert "http://localhost:8000/reminders/unsubscribe/" in message.body


def test_the_export_holds_the_preference_and_deletion_removes_it(member):
    opt_in(member, weeks=3, started_days_ago=22)
    send_due_reminders()
    exported = user_export(user=member)["reminders"]
    assert exported["enabled"] is True
    assert exported["cadence_weeks"] == 3
    assert exported["sent"] == [timezone.now().date() - timedelta(days=1)]

    user_delete(user=member, password=PASSWORD)
    assert not ReminderPreference.objects.exists()
    assert not Reminder.objects.exists()


def test_the_export_says_none_for_someone_who_never_asked_for_reminders(member):
    assert user_export(user=member)["reminders"] is None


def test_the_reminder_metrics_are_scraped_at_zero_and_name_no_person(client, member):
    opt_in(member)
    send_due_reminders()
    text = client.get("/metrics").content.decode()
    reminder_lines = [line for line in text.splitlines() if line.startswith("mhc_reminders_")]
    assert any(line.startswith("mhc_reminders_sent_total ") for line in reminder_lines)
    assert any(line.startswith("mhc_reminders_failed_total ") for line in reminder_lines)
    assert {line.split("{")[1].split("}")[0] for line in reminder_lines if "unsubscribed_total{" in line} == {
        'via="link"',
        'via="one_click"',
        'via="account"',
    }
    assert not [line for line in reminder_lines if "person" in line or member.email in line]
