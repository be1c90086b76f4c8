"""A person's wish to be reminded to check in again, and each reminder e-mail owed to them (docs/reminders.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

CADENCE_MIN_WEEKS = 1
CADENCE_MAX_WEEKS = 8
CADENCE_DEFAULT_WEEKS = 2


class ReminderPreference(models.Model):
    """Opt-in only: a row exists once the person has asked for reminders; turning them off keeps it, disabled."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    enabled = models.BooleanField(default=True)
    cadence_weeks = models.PositiveSmallIntegerField(default=CADENCE_DEFAULT_WEEKS)
    # When reminders were last turned on or their cadence changed. Due dates count from the later of this and
    # the person's last check, so turning them on today never sends one for a check of months ago.
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_weeks__gte=CADENCE_MIN_WEEKS) & Q(cadence_weeks__lte=CADENCE_MAX_WEEKS),
                name="reminder_cadence_1_to_8_weeks",
            ),
        ]

    def __str__(self) -> str:
        return f"reminders of person {self.person_id}"


class Reminder(models.Model):
    """One reminder e-mail owed to a person for one due date.

    The row is inserted before anything is sent, and the unique (person, due_on) constraint is what allows at most
    one per due date: two beats, or a task run twice, collide on the insert and only one of them gets a row. The
    status then says how far sending got, so a crash loses nothing silently and sends nothing twice:
    pending (inserted, not yet tried) -> sending (claimed by one task, SMTP under way) -> sent / failed / cancelled.
    A row left in "sending" (the process died mid-send) may or may not have gone out: it is marked failed, counted
    and logged, never sent again (reminders.services.reminders_sweep).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"
        CANCELLED = "cancelled", "cancelled"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The earliest moment the next attempt may start (a retry's backoff); the sweep republishes rows past it.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "due_on"], name="reminder_one_per_person_per_due_date"),
        ]
        indexes = [
            # The sweep: rows still pending or stuck in sending (reminders.services.reminders_sweep).
            models.Index(
                fields=["status", "next_attempt_at"],
                name="reminder_unfinished",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"reminder {self.pk} due {self.due_on}"
