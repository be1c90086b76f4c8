"""Reads of reminders: a person's preference, when their next reminder is due, and who is due today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from reminders.models import Reminder, ReminderPreference
from screening.models import Screening
from symptoms.models import SymptomCheck

if TYPE_CHECKING:
    from accounts.models import User


@dataclass(frozen=True)
class DueReminder:
    person_id: int
    due_on: date


def reminder_preference_get(*, user: User) -> ReminderPreference | None:
    return ReminderPreference.objects.filter(person=user).first()


def _last_check_subqueries() -> dict[str, Subquery]:
    """The newest symptom check and the newest finished screening of the preference's person."""
    return {
        "last_symptom_check": Subquery(
            SymptomCheck.objects.filter(owner=OuterRef("person")).order_by("-created_at").values("created_at")[:1]
        ),
        "last_screening": Subquery(
            Screening.objects.filter(owner=OuterRef("person"), status=Screening.Status.DONE)
            .order_by("-created_at")
            .values("created_at")[:1]
        ),
    }


def _series_start(preference: ReminderPreference) -> date:
    """Due dates count from the last check, or from when reminders were turned on if that is later.

    The preference carries the annotations of _last_check_subqueries.
    """
    last_checks: list[datetime | None] = [
        getattr(preference, "last_symptom_check", None),
        getattr(preference, "last_screening", None),
    ]
    return max([preference.started_at, *[moment for moment in last_checks if moment is not None]]).date()


def reminder_due_on(*, start: date, cadence_weeks: int, today: date) -> date | None:
    """The latest due date on or before today: start + k * cadence for k >= 1, or None before the first.

    A person who does not check in is reminded again every cadence, once per due date, until they do (which
    moves the start) or turn reminders off.
    """
    period = cadence_weeks * 7
    elapsed = (today - start).days
    if elapsed < period:
        return None
    return start + timedelta(days=elapsed - elapsed % period)


def reminder_next_due_on(*, user: User, today: date | None = None) -> date | None:
    """The next date a reminder will go out, for the account page; None when reminders are off."""
    preference = (
        ReminderPreference.objects.filter(person=user, enabled=True).annotate(**_last_check_subqueries()).first()
    )
    if preference is None:
        return None
    today = today or timezone.now().date()
    start = _series_start(preference)
    period = timedelta(weeks=preference.cadence_weeks)
    due = reminder_due_on(start=start, cadence_weeks=preference.cadence_weeks, today=today)
    if due is None:
        return start + period
    already = Reminder.objects.filter(person=user, due_on=due).exists()
    return due + period if already else due


def reminder_due_list(*, today: date | None = None) -> list[DueReminder]:
    """Everyone owed a reminder today that has no row yet: reminders on, account active.

    The exclusion of existing rows only saves work; two runs that read this at once both see a person as due, and
    the unique (person, due_on) constraint decides which one records the reminder (reminders.services).
    """
    today = today or timezone.now().date()
    preferences = (
        ReminderPreference.objects.filter(enabled=True, person__is_active=True)
        # Nobody can be due whose reminders were turned on less than the shortest cadence ago.
        .filter(started_at__date__lte=today - timedelta(weeks=1))
        .annotate(**_last_check_subqueries())
        .order_by("person_id")
    )
    due = []
    for preference in preferences.iterator(chunk_size=500):
        start = _series_start(preference)
        due_on = reminder_due_on(start=start, cadence_weeks=preference.cadence_weeks, today=today)
        if due_on is not None:
            due.append(DueReminder(person_id=preference.person_id, due_on=due_on))
    if not due:
        return []
    recorded = set(
        Reminder.objects.filter(
            person_id__in=[item.person_id for item in due], due_on__in={item.due_on for item in due}
        ).values_list("person_id", "due_on")
    )
    return [item for item in due if (item.person_id, item.due_on) not in recorded]


def reminder_preference_export(*, user: User) -> dict[str, Any] | None:
    """The preference as the data export shows it; None when the person never asked for reminders."""
    preference = reminder_preference_get(user=user)
    if preference is None:
        return None
    return {
        "enabled": preference.enabled,
        "cadence_weeks": preference.cadence_weeks,
        "started_at": preference.started_at.isoformat(),
        "next_due_on": reminder_next_due_on(user=user),
        "sent": list(
            Reminder.objects.filter(person=user, status=Reminder.Status.SENT)
            .order_by("due_on")
            .values_list("due_on", flat=True)
        ),
    }
