class ReminderLinkInvalid(Exception):
    """An unsubscribe link whose signature does not check out (altered, or signed with another key)."""


class ReminderSendDeferred(Exception):
    """Sending failed this time; the reminder is pending again and should be tried after `retry_in` seconds."""

    def __init__(self, reminder_id: int, retry_in: int) -> None:
        super().__init__(f"reminder {reminder_id}: send failed, retry in {retry_in} s")
        self.reminder_id = reminder_id
        self.retry_in = retry_in
