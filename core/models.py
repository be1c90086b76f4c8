"""Help resources shown beside results, and the anonymous tally left behind when an account is erased."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

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


# The countries whose help the site knows in code, in their names for people (ISO 3166-1 alpha-2 codes). A person
# picks one of these or none; staff may add rows for any other code in the admin.
COUNTRIES: dict[str, Promise] = {
    "US": _("United States"),
    "MX": _("Mexico"),
    "ES": _("Spain"),
    "RU": _("Russia"),
    "GB": _("United Kingdom"),
    "CA": _("Canada"),
}


@dataclass(frozen=True)
class EmergencyNumber:
    """The number that reaches the police, ambulance and fire services of a country, with where it was checked."""

    number: str
    source_url: str
    checked_on: date


# Per country (docs/web.md#help-resources). No entry, no number: a page never shows another country's emergency
# number.
EMERGENCY: dict[str, EmergencyNumber] = {
    "US": EmergencyNumber("911", "https://www.911.gov/", date(2026, 12, 7)),
    "MX": EmergencyNumber(
        "911",
        "https://www.gob.mx/segob/prensa/conferencia-de-prensa-del-secretario-ejecutivo-del-sistema-nacional-de-"
        "seguridad-publica-alvaro-vizcaino-zamora",
        date(2026, 12, 7),
    ),
    "ES": EmergencyNumber("112", "https://www.sanidad.gob.es/linea024/", date(2026, 12, 7)),
    "RU": EmergencyNumber("112", "https://mchs.gov.ru/", date(2026, 12, 7)),
    "GB": EmergencyNumber(
        "999",
        "https://www.nhs.uk/nhs-services/mental-health-services/where-to-get-urgent-help-for-mental-health/",
        date(2026, 12, 7),
    ),
    "CA": EmergencyNumber("911", "https://988.ca/", date(2026, 12, 7)),
}
EMERGENCY_NUMBERS: dict[str, str] = {code: entry.number for code, entry in EMERGENCY.items()}
# The country assumed for a person who has not said theirs and whose browser names no region, by the language they
# read the site in. Spanish has none: its readers are spread over Spain, Mexico, the US and more, and 112 or 911 in
# the wrong one would be a wrong number. (A browser that sends es-MX, en-GB, ru-RU... names its country:
# core.selectors.country_from_accept_language.)
DEFAULT_COUNTRY_FOR_LANGUAGE: dict[str, str] = {"en": "US", "ru": "RU"}


@dataclass(frozen=True)
class DefaultHelpResource:
    """A help resource written in code, shown for its country while staff have added no row for that country.

    Every one carries the official page that says what it is (`source_url`) and the day that page was last checked
    (`checked_on`); tests/core/test_help_sources.py fails when one lacks either. A text link is offered only for a
    service that answers texts (`sms_number`); `adults` is False for a line that serves children only."""

    name: str
    description: str | Promise
    source_url: str
    checked_on: date
    phone: str = ""
    text: str | Promise = ""  # what people read, e.g. "Text HOME to 741741" (translated)
    sms_number: str = ""  # the number and body the text link sends: not parsed from the translated text
    sms_body: str = ""
    url: str = ""
    country: str = ""  # ISO 3166-1 alpha-2; "" for a resource that helps anywhere
    language: str = ""  # "" for every language
    adults: bool = True
    is_default: bool = True

    @property
    def region(self) -> str | Promise:
        return COUNTRIES.get(self.country, "") if self.country else _("Anywhere")

    @property
    def tel(self) -> str:
        return _tel(self.phone)

    @property
    def sms(self) -> str:
        if not self.sms_number:
            return ""
        return f"sms:{self.sms_number}?body={quote(self.sms_body)}" if self.sms_body else f"sms:{self.sms_number}"


CHECKED = date(2026, 12, 7)  # the day the defaults below were last held against their sources

# Checked defaults per country, small on purpose (docs/web.md#help-resources says how each was checked). A deployment
# reviews them; a row staff add for a country replaces that country's defaults. Within a country the first one with
# a phone number is its crisis line: the one the safety path and the footer put first.
DEFAULT_HELP_RESOURCES: tuple[DefaultHelpResource, ...] = (
    DefaultHelpResource(
        name="988 Suicide & Crisis Lifeline",
        description=_(
            "Free, confidential support 24 hours a day for anyone in distress, by call, text or chat, in English "
            "and Spanish."
        ),
        phone="988",
        text=_("Text 988"),
        sms_number="988",
        url="https://988lifeline.org/",
        country="US",
        source_url="https://988lifeline.org/get-help/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="Crisis Text Line",
        description=_("Text with a trained crisis counsellor, any time."),
        text=_("Text HOME to 741741"),
        sms_number="741741",
        sms_body="HOME",
        url="https://www.crisistextline.org/",
        country="US",
        source_url="https://www.crisistextline.org/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="SAMHSA National Helpline",
        description=_("Free, confidential treatment referral and information, 24 hours a day, in English and Spanish."),
        phone="1-800-662-4357",
        url="https://www.samhsa.gov/find-help/helplines/national-helpline",
        country="US",
        source_url="https://www.samhsa.gov/find-help/helplines/national-helpline",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="Línea de la Vida",
        description=_(
            "Free support 24 hours a day in an emotional crisis, with thoughts of suicide, anxiety, depression or "
            "drug and alcohol use, for you or someone close to you."
        ),
        phone="800 911 2000",
        country="MX",
        source_url="https://www.gob.mx/salud/conasama",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="024 Línea de atención a la conducta suicida",
        description=_(
            "Free, confidential support 24 hours a day for people with thoughts of suicide and for their families "
            "and friends."
        ),
        phone="024",
        country="ES",
        source_url="https://www.sanidad.gob.es/linea024/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        # The psychological help line of Russia's Ministry of Emergencies, for adults: the all-Russian free line
        # 8-800-2000-122 is for children, teenagers and their parents, so it is not offered here. Nothing in
        # Russia answers texts, so no text link.
        name="Телефон доверия психологической помощи МЧС России",
        description=_(
            "Psychological help by phone for adults in a crisis, from the Ministry of Emergencies. A call to a "
            "Moscow number: your operator's usual rates apply."
        ),
        phone="+7 495 989-50-50",
        country="RU",
        source_url="https://www.mos.ru/otvet-ekstrennie-situacii/kak-poluchit-ekstrennuyu-suicidologicheskuyu-pomosch/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="Samaritans",
        description=_("Free, confidential listening 24 hours a day, whatever you are going through."),
        phone="116 123",
        url="https://www.samaritans.org/",
        country="GB",
        source_url="https://www.samaritans.org/how-we-can-help/contact-samaritan/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="Shout",
        description=_("Free, confidential support by text, 24 hours a day."),
        text=_("Text SHOUT to 85258"),
        sms_number="85258",
        sms_body="SHOUT",
        url="https://giveusashout.org/",
        country="GB",
        source_url="https://giveusashout.org/get-help/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="NHS 111",
        description=_("In England, call 111 and choose option 2 for urgent mental-health help, 24 hours a day."),
        phone="111",
        url="https://www.nhs.uk/nhs-services/mental-health-services/where-to-get-urgent-help-for-mental-health/",
        country="GB",
        source_url="https://www.nhs.uk/nhs-services/mental-health-services/where-to-get-urgent-help-for-mental-health/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="9-8-8 Suicide Crisis Helpline",
        description=_("Free support 24 hours a day by call or text, in English and French, anywhere in Canada."),
        phone="988",
        text=_("Text 988"),
        sms_number="988",
        url="https://988.ca/",
        country="CA",
        source_url="https://988.ca/",
        checked_on=CHECKED,
    ),
    DefaultHelpResource(
        name="Find A Helpline",
        description=_("Free, confidential helplines in many countries: search for yours."),
        url="https://findahelpline.com/",
        source_url="https://findahelpline.com/",
        checked_on=CHECKED,
    ),
)


def _country_code_valid(value: str) -> None:
    if value and not (len(value) == 2 and value.isascii() and value.isalpha() and value.isupper()):
        raise ValidationError(_("Write the two-letter country code, such as US, MX, ES or RU."), code="country")


class HelpResource(models.Model):
    """A place to turn to for support. Shown with every result, prominently when the estimate is high; never
    behind credits. Shown to people in its country (or everyone when it has none), in its language (or any)."""

    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    phone = models.CharField("phone number", max_length=40, blank=True, help_text="As people should dial it.")
    text = models.CharField(
        "text / SMS", max_length=80, blank=True, help_text="As people should read it, e.g. 'Text HOME to 741741'."
    )
    url = models.URLField("web address", blank=True)
    region = models.CharField(max_length=80, blank=True, help_text="Where it helps, e.g. 'United States'.")
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[_country_code_valid],
        help_text="The ISO 3166-1 code of the country it serves (US, MX, ES, RU…): only people in that country see "
        "it, and it replaces the defaults for that country. Empty: a resource for anywhere.",
    )
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text="Shown only to people reading the site in this language. Empty: every language.",
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Lower numbers are shown first.")
    is_active = models.BooleanField("shown", default=True)

    class Meta:
        ordering = ["order", "name"]
        constraints = [
            # A code or nothing: a typo such as "usa" would hide the row from everyone.
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"), name="help_resource_country_is_a_code"
            ),
        ]

    is_default = False  # a row staff wrote, not one of the defaults in code

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        self.country = (self.country or "").strip().upper()
        super().clean_fields(exclude=exclude)

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
