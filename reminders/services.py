"""Writes of reminders: opting in and out, recording who is due, sending one e-mail, and the sweep.

Exactly-once design (docs/reminders.md): the beat inserts one Reminder row per (person, due date) in its own
transaction; the database's unique constraint makes the second insert of a concurrent beat or a re-run fail, so
only one row exists. Sending claims the row with a conditional UPDATE (pending -> sending, one row changed or
nothing to do), talks to the mail server, then marks it sent. A failure puts it back to pending with a backoff
until the attempts run out, then marks it failed. A crash after the claim leaves "sending", which the sweep marks
failed rather than sending again: a possible duplicate is worse than one missed reminder, and the miss is counted.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from reminders import metrics
from reminders.exceptions import ReminderLinkInvalid, ReminderSendDeferred
from reminders.models import CADENCE_DEFAULT_WEEKS, Reminder, ReminderPreference
from reminders.selectors import reminder_due_list

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "reminders.unsubscribe"
# A row claimed longer ago than this was abandoned mid-send (the task's hard time limit is far shorter).
SENDING_ABANDONED_AFTER = timedelta(minutes=15)


def reminder_preference_set(*, user: User, cadence_weeks: int = CADENCE_DEFAULT_WEEKS) -> ReminderPreference:
    """Turn reminders on, or change their cadence. Either starts a new series of due dates from now."""
    preference, _ = ReminderPreference.objects.update_or_create(
        person=user, defaults={"enabled": True, "cadence_weeks": cadence_weeks, "started_at": timezone.now()}
    )
    logger.info("reminders on", extra={"person_id": user.pk, "cadence_weeks": cadence_weeks})
    return preference


def reminder_preference_disable(*, user: User, via: str) -> bool:
    """Turn reminders off and cancel any not yet sent. True when they were on."""
    with transaction.atomic():
        turned_off = ReminderPreference.objects.filter(person=user, enabled=True).update(enabled=False) == 1
        Reminder.objects.filter(person=user, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.CANCELLED, finished_at=timezone.now()
        )
    if turned_off:
        metrics.UNSUBSCRIBED.labels(via=via).inc()
        logger.info("reminders off", extra={"person_id": user.pk, "via": via})
    return turned_off


def reminder_unsubscribe_token(*, user: User) -> str:
    """The token of the person's unsubscribe link: their id, signed with SECRET_KEY and a salt of its own."""
    return signing.dumps(user.pk, salt=UNSUBSCRIBE_SALT)


def reminder_unsubscribe_person_id(*, token: str) -> int:
    """The id an unsubscribe token was signed for; ReminderLinkInvalid when it was altered or is not one.

    The links never expire: RFC 8058 expects an unsubscribe link to work for as long as the e-mail is kept.
    """
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise ReminderLinkInvalid from None


def reminder_unsubscribe(*, token: str, via: str) -> bool:
    """Turn off the reminders of the person the signed token names, without a login. True when they were on."""
    from accounts.models import User

    user = User.objects.filter(pk=reminder_unsubscribe_person_id(token=token)).first()
    if user is None:
        # The account is gone, and its reminders with it.
        return False
    return reminder_preference_disable(user=user, via=via)


def reminders_record_due(*, today: date | None = None) -> list[int]:
    """Insert a pending Reminder for everyone due today; the ids of the rows this call inserted.

    Each insert is its own transaction: a row another beat inserted first raises IntegrityError on the unique
    (person, due_on) constraint, and that person is skipped here.
    """
    recorded = []
    for item in reminder_due_list(today=today):
        try:
            with transaction.atomic():
                reminder = Reminder.objects.create(person_id=item.person_id, due_on=item.due_on)
        except IntegrityError:
            continue
        recorded.append(reminder.pk)
    if recorded:
        logger.info("reminders due", extra={"count": len(recorded)})
    return recorded


def reminders_sweep(*, now: datetime | None = None) -> list[int]:
    """Mark reminders abandoned mid-send as failed; the ids of pending ones whose turn has come (to publish again).

    A pending row whose task was lost (broker down when it was published, worker killed before the claim) is
    found here on the next beat, so nothing waits for ever.
    """
    now = now or timezone.now()
    abandoned = list(
        Reminder.objects.filter(
            status=Reminder.Status.SENDING, claimed_at__lt=now - SENDING_ABANDONED_AFTER
        ).values_list("pk", flat=True)
    )
    for reminder_id in abandoned:
        if Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.FAILED, finished_at=now
        ):
            metrics.FAILED.inc()
            logger.error("reminder interrupted while sending; not sent again", extra={"reminder_id": reminder_id})
    # Rows inserted by this very run are published by it; a grace minute keeps the sweep off them.
    return list(
        Reminder.objects.filter(
            status=Reminder.Status.PENDING, next_attempt_at__lt=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )


def _retry_in(attempts: int) -> int:
    """Seconds before the next attempt: the base delay, doubled after every failed attempt."""
    return settings.REMINDER_RETRY_SECONDS * 2 ** (attempts - 1)


def reminder_send(*, reminder_id: int) -> str:
    """Send one reminder, at most once. Returns what happened: sent, cancelled, failed, or skipped (not pending).

    Raises ReminderSendDeferred when the mail server refused or could not be reached and attempts remain.
    """
    now = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.PENDING).update(
        status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return "skipped"
    reminder = Reminder.objects.select_related("person", "person__reminder_preference").get(pk=reminder_id)
    person = reminder.person
    preference = getattr(person, "reminder_preference", None)
    if not person.is_active or preference is None or not preference.enabled:
        Reminder.objects.filter(pk=reminder_id).update(status=Reminder.Status.CANCELLED, finished_at=now)
        logger.info("reminder cancelled", extra={"reminder_id": reminder_id, "person_id": person.pk})
        return "cancelled"
    try:
        reminder_message(person=person, cadence_weeks=preference.cadence_weeks).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        return _reminder_send_failed(reminder, error)
    Reminder.objects.filter(pk=reminder_id).update(status=Reminder.Status.SENT, finished_at=timezone.now())
    metrics.SENT.inc()
    logger.info("reminder sent", extra={"reminder_id": reminder_id, "person_id": person.pk})
    return "sent"


def _reminder_send_failed(reminder: Reminder, error: Exception) -> str:
    # The error's class only: an SMTP reply can quote the recipient's address.
    context = {"reminder_id": reminder.pk, "attempt": reminder.attempts, "error": type(error).__name__}
    if reminder.attempts >= settings.REMINDER_SEND_ATTEMPTS:
        Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.FAILED, finished_at=timezone.now())
        metrics.FAILED.inc()
        logger.error("reminder failed after every attempt", extra=context)
        return "failed"
    retry_in = _retry_in(reminder.attempts)
    Reminder.objects.filter(pk=reminder.pk).update(
        status=Reminder.Status.PENDING, next_attempt_at=timezone.now() + timedelta(seconds=retry_in)
    )
    logger.warning("reminder not sent; will retry", extra={**context, "retry_in": retry_in})
    raise ReminderSendDeferred(reminder.pk, retry_in)


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def reminder_message(*, person: User, cadence_weeks: int) -> EmailMultiAlternatives:
    """The reminder e-mail, in the person's language: that it is time for a check-in, a link, and how to stop.

    It holds no answer, score, band or estimate: a mailbox is read by others and kept for years.
    """
    unsubscribe_url = _absolute(reverse("reminders:unsubscribe", args=[reminder_unsubscribe_token(user=person)]))
    language = person.language if person.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "check_in_url": _absolute(reverse("symptoms:index")),
            "settings_url": _absolute(reverse("privacy:settings")),
            "unsubscribe_url": unsubscribe_url,
            "cadence_weeks": cadence_weeks,
            "language": language,
        }
        subject = render_to_string("reminders/email/subject.txt", context).strip()
        body = render_to_string("reminders/email/body.txt", context)
        html = render_to_string("reminders/email/body.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        to=[person.email],
        headers={
            # RFC 2369 and RFC 8058: a mail client's own "unsubscribe" button POSTs to the link, no login needed.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            # RFC 3834: an automatic message; auto-responders should not answer it.
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
