"""Reminder metrics. No label names a person; `via` is one of a fixed few ways to turn reminders off."""

from prometheus_client import Counter

SENT = Counter("mhc_reminders_sent_total", "Re-check reminder e-mails handed to the mail server")
FAILED = Counter(
    "mhc_reminders_failed_total", "Re-check reminders given up on after every attempt, or interrupted mid-send"
)
UNSUBSCRIBED = Counter("mhc_reminders_unsubscribed_total", "Reminders turned off", ["via"])

UNSUBSCRIBE_VIA = ("link", "one_click", "account")
for _via in UNSUBSCRIBE_VIA:
    UNSUBSCRIBED.labels(via=_via)
