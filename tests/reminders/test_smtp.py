"""Reminders through Django's SMTP backend to a real SMTP server (aiosmtpd) the test starts on localhost."""

import email
import email.policy
import logging
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from privacy.services import user_delete
from reminders.models import Reminder, ReminderPreference
from reminders.tasks import send_due_reminders
from tests.conftest import free_port
from tests.factories import PASSWORD, UserFactory
from tests.reminders.conftest import opt_in

pytestmark = pytest.mark.django_db


def failed_total() -> float:
    return REGISTRY.get_sample_value("mhc_reminders_failed_total") or 0.0


def received(mailbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(envelope.content, policy=email.policy.default) for envelope in mailbox.envelopes]


def test_the_reminder_arrives_with_rfc_8058_headers_and_a_working_unsubscribe_link(smtp_server, member):
    opt_in(member)

    send_due_reminders()

    [message] = received(smtp_server)
    assert smtp_server.envelopes[0].rcpt_tos == [member.email]
    assert message["Subject"] == "Time for a check-in"
    [unsubscribe_url] = re.fullmatch(r"<(.+)>", message["List-Unsubscribe"].strip()).groups()
    assert unsubscribe_url.startswith("http://localhost:8000/reminders/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert unsubscribe_url in text
    assert unsubscribe_url in html
    assert "http://localhost:8000/symptoms/" in text
    assert Reminder.objects.get().status == Reminder.Status.SENT

    # The mail client's one-click POST (RFC 8058): no session, no CSRF token.
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(urlsplit(unsubscribe_url).path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ReminderPreference.objects.get(person=member).enabled is False


def test_deleted_and_deactivated_accounts_get_nothing_from_the_mail_server(smtp_server, member, outsider):
    opt_in(member)
    opt_in(outsider)
    outsider.is_active = False
    outsider.save()
    gone = UserFactory(email="gone@example.com")
    opt_in(gone)
    user_delete(user=gone, password=PASSWORD)

    send_due_reminders()

    assert [envelope.rcpt_tos for envelope in smtp_server.envelopes] == [[member.email]]


def test_a_refused_send_is_retried_and_then_delivered_once(smtp_server, member):
    smtp_server.refuse = 2  # "451 try again later", twice
    opt_in(member)
    before = failed_total()

    send_due_reminders()

    assert smtp_server.refused == 2
    assert len(smtp_server.envelopes) == 1
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENT, 3)
    assert failed_total() == before


def test_with_the_smtp_server_down_the_send_is_retried_then_counted_and_logged_as_failed(settings, member, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    opt_in(member)
    before = failed_total()

    with caplog.at_level(logging.INFO, logger="reminders.services"):
        send_due_reminders()

    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.FAILED, settings.REMINDER_SEND_ATTEMPTS)
    assert failed_total() == before + 1
    retries = [r for r in caplog.records if r.getMessage() == "reminder not sent; will retry"]
    assert [r.retry_in for r in retries] == [60, 120, 240]
    [failure] = [r for r in caplog.records if r.getMessage() == "reminder failed after every attempt"]
    assert failure.reminder_id == reminder.pk
    assert failure.levelno == logging.ERROR
    assert member.email not in caplog.text
    # The next beat does not pick a failed reminder up again.
    assert send_due_reminders() == 0
