"""Help resources shown beside results, and the anonymous tally left behind when an account is erased."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django.db import models

# "Text 988", "Text HOME to 741741": what staff write in the text / SMS field, read back as a tappable link.
_SMS_TEXT = re.compile(r"^\s*text\s+(?:(?P<body>.+?)\s+to\s+)?(?P<number>\+?[\d][\d\s-]*)\s*$", re.IGNORECASE)


def _tel(phone: str) -> str:
    return "".join(ch for ch in phone if ch.isdigit() or ch == "+")


def _sms(text: str) -> str:
    """An RFC 5724 sms: URI ("sms:741741?body=HOME") for a text written as above; "" when it reads otherwise."""
    match = _SMS_TEXT.match(text or "")
    if not match:
        return ""
    uri = f"sms:{_tel(match['number'])}"
    return f"{uri}?body={quote(match['body'])}" if match["body"] else uri


@dataclass(frozen=True)
class DefaultHelpResource:
    """A help resource written in code, shown while the HelpResource table is empty."""

    name: str
    description: str
    phone: str = ""
    text: str = ""
    url: str = ""
    region: str = ""
    is_default: bool = True

    @property
    def tel(self) -> str:
        return _tel(self.phone)

    @property
    def sms(self) -> str:
        return _sms(self.text)


# Sensible defaults for a US deployment. A deployment should review them and add its own in the admin: as soon
# as one HelpResource row exists, the table replaces this list entirely.
DEFAULT_HELP_RESOURCES: tuple[DefaultHelpResource, ...] = (
    DefaultHelpResource(
        name="988 Suicide & Crisis Lifeline",
        description="Free, confidential support 24 hours a day for anyone in distress, by call, text or chat.",
        phone="988",
        text="Text 988",
        url="https://988lifeline.org/",
        region="United States",
    ),
    DefaultHelpResource(
        name="Crisis Text Line",
        description="Text with a trained crisis counsellor, any time.",
        text="Text HOME to 741741",
        url="https://www.crisistextline.org/",
        region="United States",
    ),
    DefaultHelpResource(
        name="SAMHSA National Helpline",
        description="Free, confidential treatment referral and information, 24 hours a day, in English and Spanish.",
        phone="1-800-662-4357",
        url="https://www.samhsa.gov/find-help/helplines/national-helpline",
        region="United States",
    ),
    DefaultHelpResource(
        name="Find A Helpline",
        description="Free, confidential helplines in many countries outside the US.",
        url="https://findahelpline.com/",
        region="Outside the US",
    ),
)


class HelpResourceQuerySet(models.QuerySet["HelpResource"]):
    def for_display(self) -> list[HelpResource] | tuple[DefaultHelpResource, ...]:
        """The active resources in order; the defaults in code while staff have added none."""
        resources = list(self.filter(is_active=True).order_by("order", "name"))
        if resources:
            return resources
        # Inactive rows mean staff chose to hide them: fall back only when the table is truly empty.
        return () if self.exists() else DEFAULT_HELP_RESOURCES


class HelpResource(models.Model):
    """A place to turn to for support. Shown with every result, prominently when the estimate is high; never
    behind credits."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    phone = models.CharField("phone number", max_length=40, blank=True, help_text="As people should dial it.")
    text = models.CharField(
        "text / SMS", max_length=80, blank=True, help_text="As people should read it, e.g. 'Text HOME to 741741'."
    )
    url = models.URLField("web address", blank=True)
    region = models.CharField(max_length=80, blank=True, help_text="Where it helps, e.g. 'United States'.")
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers are shown first.")
    is_active = models.BooleanField("shown", default=True)

    objects = HelpResourceQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    is_default = False  # a row staff wrote, not one of the defaults in code

    def __str__(self) -> str:
        return self.name

    @property
    def tel(self) -> str:
        return _tel(self.phone)

    @property
    def sms(self) -> str:
        return _sms(self.text)


class AccountErasure(models.Model):
    """What an erased account leaves for accounting: totals only, with no link to the person.

    Wallet and ledger rows are deleted with the account (see docs/privacy.md); this row keeps the credit totals so
    the site-wide figures still add up. The date is the day only, so the row cannot be matched to a request log.
    """

    erased_on = models.DateField()
    screenings = models.PositiveIntegerField(default=0)
    credits_granted = models.IntegerField(default=0, help_text="Grants and staff adjustments, net.")
    credits_spent = models.PositiveIntegerField(default=0, help_text="Captured by finished screenings.")
    credits_forfeited = models.IntegerField(default=0, help_text="Available and held credits at erasure.")

    class Meta:
        ordering = ["-erased_on", "-id"]

    def __str__(self) -> str:
        return f"Account erased on {self.erased_on}"
