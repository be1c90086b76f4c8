import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from reminders.models import ReminderPreference


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts; `refuse` first answers that many with a 451."""

    def __init__(self) -> None:
        self.envelopes: list = []
        self.refuse = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.refused < self.refuse:
            self.refused += 1
            return "451 Requested action aborted: try again later"
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free localhost port, and Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield mailbox
    controller.stop()


def opt_in(user, *, weeks: int = 2, started_days_ago: int = 15) -> ReminderPreference:
    """Reminders on, turned on `started_days_ago` days ago (past the first due date by default)."""
    return ReminderPreference.objects.create(
        person=user, cadence_weeks=weeks, started_at=timezone.now() - timedelta(days=started_days_ago)
    )
