import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_prometheus.models import ExportModelOperationsMixin

from core.fields import EncryptedBooleanField, EncryptedCharField, EncryptedIntegerField, EncryptedJSONField
from symptoms.instruments import BAND_CHOICES, INSTRUMENT_CHOICES, INSTRUMENTS


class SymptomCheck(ExportModelOperationsMixin("symptom_check"), models.Model):
    """One person's answers to a validated symptom questionnaire (PHQ-9, GAD-7), scored at once. Never costs
    credits: it is a sum, not a model."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="symptom_checks")
    instrument = models.CharField(max_length=16, choices=INSTRUMENT_CHOICES)
    # Health data is encrypted at rest like a screening's (core.fields, docs/privacy.md#encryption-at-rest): the
    # answers and everything they say — total, band, the self-harm flag. What the site filters, counts or sorts by
    # (instrument, dates, owner) stays plain.
    answers = EncryptedJSONField(help_text="Item key -> value (0-3); the difficulty question may be null.")
    total = EncryptedIntegerField()
    band = EncryptedCharField(max_length=24, choices=BAND_CHOICES)
    safety_flag = EncryptedBooleanField(
        default=False, help_text="A self-harm item answered above 0: the result opens with crisis resources."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=255, blank=True)
    request_fingerprint = models.CharField(
        max_length=64,
        blank=True,
        help_text="Keyed HMAC-SHA256 of the instrument and answers, to detect key reuse (core.fingerprints).",
    )

    # What only the owner and staff with the "view_health_data" permission may read (see symptoms.admin).
    HEALTH_DATA_FIELDS = ("answers", "total", "band", "safety_flag")

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            # view_symptomcheck shows that a check exists; reading its answers and score is a separate right, and
            # each read is recorded for the person to see.
            ("view_health_data", "Can read symptom answers and scores (each read is recorded)"),
        ]
        indexes = [
            # History, chart and summary: one owner's checks of one instrument, newest first.
            models.Index(fields=["owner", "instrument", "-created_at"], name="symptom_owner_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="symptom_idempotency_key_once_per_owner",
            ),
            # The total is encrypted, so the database cannot check its range any more: instruments.score() computes
            # it from validated items, and nothing else writes it.
            models.CheckConstraint(condition=Q(instrument__in=list(INSTRUMENTS)), name="symptom_instrument_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} check {self.id}"

    @property
    def definition(self):
        return INSTRUMENTS[self.instrument]

    @property
    def band_label(self) -> str:
        return self.definition.band(self.band).label
