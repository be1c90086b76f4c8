import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_prometheus.models import ExportModelOperationsMixin

from core.fields import EncryptedCharField, EncryptedFloatField, EncryptedJSONField
from predictor.services import band_choices, model_choices


class Screening(ExportModelOperationsMixin("screening"), models.Model):
    """One person's answers scored by one model: pending -> running -> done | failed (TRANSITIONS)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # A random id: screening URLs reveal nothing about how many exist or whose they are.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="screenings")
    # Choices from the predictor's catalogue (callables, so a new model needs no migration).
    model_key = models.CharField("model", max_length=16, choices=model_choices)
    # Health data is encrypted at rest (core.fields, docs/privacy.md#encryption-at-rest); what the site must filter,
    # count or sort by — status, model, dates, cost, version — stays plain.
    answers = EncryptedJSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    probability = EncryptedFloatField(null=True, blank=True)
    risk_band = EncryptedCharField(max_length=16, choices=band_choices, blank=True)
    factors = EncryptedJSONField(default=list, blank=True)
    what_ifs = EncryptedJSONField(
        default=list,
        blank=True,
        help_text="The same model's estimate with one modifiable answer moved to a healthier value "
        "(predictor.whatifs), scored with the result.",
    )
    model_version = models.CharField(max_length=64, blank=True)
    base_rate = EncryptedFloatField(null=True, blank=True)
    # The model's 90 % range around `probability` (see the model card); empty for versions without one.
    interval_low = EncryptedFloatField(null=True, blank=True)
    interval_high = EncryptedFloatField(null=True, blank=True)
    cost = models.PositiveIntegerField()
    error_message = models.CharField(max_length=300, blank=True, help_text="Shown to the owner; no internals.")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it was last put on the queue.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="Keyed HMAC-SHA256 of the model and answers, to detect key reuse (core.fingerprints).",
    )
    task_id = models.CharField(max_length=255, blank=True)
    claim_token = models.IntegerField(
        null=True,
        blank=True,
        help_text="The lease of the worker session scoring it (screening.services): free once that session ends.",
    )
    requeue_count = models.PositiveSmallIntegerField(default=0)
    retry_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
        help_text="The failed screening that staff retried as this one.",
    )

    # Every change of status a screening can make, and the only ones screening.services writes (the States
    # diagram of docs/screening.md draws the same edges; a test compares them). running -> pending: a claim handed
    # back (a transient error, a worker lost) to be scored again.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.PENDING: frozenset({Status.RUNNING, Status.FAILED}),
        Status.RUNNING: frozenset({Status.DONE, Status.FAILED, Status.PENDING}),
        Status.DONE: frozenset(),
        Status.FAILED: frozenset(),
    }
    # Statuses a screening never leaves: its result or its failure is stored.
    FINISHED_STATUSES = frozenset(status for status, after in TRANSITIONS.items() if not after)

    # What only the owner and staff with the "view_health_data" permission may read (see screening.admin).
    HEALTH_DATA_FIELDS = (
        "answers", "probability", "risk_band", "factors", "what_ifs", "base_rate", "interval_low", "interval_high"
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            # view_screening shows status, model and money; reading what a person answered and what the model said
            # about them is a separate right, and each read is recorded for that person to see.
            ("view_health_data", "Can read answers and results (each read is recorded)"),
        ]
        indexes = [
            # History list and chart: one owner's screenings, newest first.
            models.Index(fields=["owner", "-created_at"], name="screening_owner_recent"),
            # The stuck-screening sweep only looks at unfinished rows, a tiny part of the table.
            models.Index(
                fields=["queued_at"],
                name="screening_unfinished",
                condition=Q(status__in=["pending", "running"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="screening_idempotency_key_once_per_owner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="screening_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(probability__isnull=False, finished_at__isnull=False),
                name="screening_done_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_model_key_display()} screening {self.id}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @classmethod
    def statuses_before(cls, status: str) -> list[str]:
        """The statuses a screening may reach `status` from: the condition of every write that moves it there."""
        return [before for before, after in cls.TRANSITIONS.items() if status in after]
