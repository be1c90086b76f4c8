"""A person's links to a read-only copy of their clinician summary, and every opening of them.

Only a SHA-256 hash of a link's token is stored (docs/sharing.md): the token itself is shown once, to its owner.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 1, 30, 14


class ShareLink(models.Model):
    class Contents(models.TextChoices):
        CHECKS = "checks", _("Symptom checks only")
        CHECKS_AND_ESTIMATES = "checks_and_estimates", _("Symptom checks and life-factor estimates")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 (hex) of the token; never the token.")
    contents = models.CharField(max_length=24, choices=Contents.choices, default=Contents.CHECKS)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    show_name = models.BooleanField(default=True, help_text="The shared page and the FHIR Patient carry the name.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sharing page and the account page: one owner's links, newest first.
            models.Index(fields=["owner", "-created_at"], name="sharelink_owner_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=F("created_at")), name="sharelink_expires_after_created"),
            models.CheckConstraint(
                condition=Q(contents__in=["checks", "checks_and_estimates"]), name="sharelink_contents_known"
            ),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 (a pattern, not a password)
                name="sharelink_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"share link {self.id}"

    @property
    def includes_estimates(self) -> bool:
        return self.contents == self.Contents.CHECKS_AND_ESTIMATES

    def is_live(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ShareOpening(models.Model):
    """One opening of a link: when, what, and a coarse kind of client. No address, no full User-Agent."""

    class Client(models.TextChoices):
        PHONE = "phone", _("a browser on a phone or tablet")
        DESKTOP = "desktop", _("a desktop browser")
        OTHER = "other", _("another program")

    class Format(models.TextChoices):
        PAGE = "page", _("the page")
        FHIR = "fhir", _("the FHIR file")

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="openings")
    opened_at = models.DateTimeField(auto_now_add=True)
    client = models.CharField(max_length=8, choices=Client.choices)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.PAGE)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["link", "-opened_at"], name="shareopening_link_recent")]
        constraints = [
            models.CheckConstraint(
                condition=Q(client__in=["phone", "desktop", "other"]), name="shareopening_client_known"
            ),
            models.CheckConstraint(condition=Q(format__in=["page", "fhir"]), name="shareopening_format_known"),
        ]

    def __str__(self) -> str:
        return f"opening of {self.link_id}"
