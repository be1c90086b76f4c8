from datetime import timedelta

from django.utils import timezone

from reminders.models import ReminderPreference


def opt_in(user, *, weeks: int = 2, started_days_ago: int = 15) -> ReminderPreference:
    """Reminders on, turned on `started_days_ago` days ago (past the first due date by default)."""
    return ReminderPreference.objects.create(
        person=user, cadence_weeks=weeks, started_at=timezone.now() - timedelta(days=started_days_ago)
    )
