from celery import shared_task

from reminders.exceptions import ReminderSendDeferred
from reminders.services import reminder_send, reminders_record_due, reminders_sweep


@shared_task
def send_due_reminders() -> int:
    """Beat: record everyone due today (one row per person and due date), then publish one send task per row.

    Rows whose task was lost are published again by the sweep; a row published twice is sent once (the claim).
    """
    reminder_ids = reminders_record_due() + reminders_sweep()
    for reminder_id in dict.fromkeys(reminder_ids):
        send_reminder.delay(reminder_id)
    return len(reminder_ids)


@shared_task(bind=True, max_retries=None)
def send_reminder(self, reminder_id: int) -> str:
    """One reminder e-mail; the service counts the attempts and gives up (counted, logged) after the last."""
    try:
        return reminder_send(reminder_id=reminder_id)
    except ReminderSendDeferred as deferred:
        raise self.retry(exc=deferred, countdown=deferred.retry_in) from None
