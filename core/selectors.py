"""Which help resources a page shows: the person's country (or the one their language suggests), their language,
and never another country's emergency number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from django.utils.translation import get_language

from core.models import (
    COUNTRIES,
    DEFAULT_COUNTRY_FOR_LANGUAGE,
    DEFAULT_HELP_RESOURCES,
    EMERGENCY_NUMBERS,
    DefaultHelpResource,
    HelpResource,
)

# A visitor's choice of country on the page (the footer's selector): a two-letter code, or "none" for "another
# country". Not health data; kept a year like the language cookie.
HELP_COUNTRY_COOKIE = "help_country"
HELP_COUNTRY_NONE = "none"
_ACCEPT_LANGUAGE_LIMIT = 500  # longer headers are cut: nobody prefers 60 languages


@dataclass(frozen=True)
class HelpResources:
    """What the help-resources partial shows: the resources in order, the country they are for ("" when unknown)
    and its emergency number ("" when unknown: the page then says "call your local emergency number")."""

    resources: tuple[HelpResource | DefaultHelpResource, ...]
    country: str = ""
    emergency_number: str = ""

    def __iter__(self) -> Iterator[HelpResource | DefaultHelpResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    @property
    def country_name(self) -> Any:
        return COUNTRIES.get(self.country, self.country)

    @property
    def country_known(self) -> bool:
        """Whether the country is one whose lines the site has defaults for (COUNTRIES)."""
        return self.country in COUNTRIES

    @property
    def emergency_tel(self) -> str:
        return "".join(ch for ch in self.emergency_number if ch.isdigit())

    @property
    def crisis_line(self) -> HelpResource | DefaultHelpResource | None:
        """The first resource of the person's own country with a phone number: the one put first on the safety
        path and named in the footer. None when the country is unknown or has no line with a number."""
        return next((r for r in self.resources if r.country and r.country == self.country and r.phone), None)


def _language(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0].lower()


def help_country(*, country: str = "", language: str | None = None) -> str:
    """The person's own country when they gave one, else the one their language suggests, else ""."""
    return (country or DEFAULT_COUNTRY_FOR_LANGUAGE.get(_language(language), "")).upper()


def country_from_accept_language(header: str) -> str:
    """The country the browser's preferred language names, as an ISO 3166-1 code, or "".

    The first language in the header's order of preference decides: one with a region names it ("es-MX" -> "MX",
    "en-GB" -> "GB", "fr-CA" -> "CA", "fr-FR" -> "FR": a country with no default lines, so only help for anywhere
    and "your local emergency number"); a bare language names its default country when it has one ("en" -> "US",
    "ru" -> "RU", DEFAULT_COUNTRY_FOR_LANGUAGE) and none otherwise ("es": Spain, Mexico, the US and more)."""
    preferred: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:_ACCEPT_LANGUAGE_LIMIT].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            preferred.append((-quality, position, tag))
    if not preferred:
        return ""
    subtags = min(preferred)[2].replace("_", "-").split("-")
    region = next((sub for sub in subtags[1:] if len(sub) == 2 and sub.isascii() and sub.isalpha()), "")
    if region:
        return region.upper()
    return DEFAULT_COUNTRY_FOR_LANGUAGE.get(subtags[0].lower(), "")


def help_resources_for(
    *, country: str = "", language: str | None = None, use_database: bool = True, guess_country: bool = True
) -> HelpResources:
    """The resources for a person in `country` (their own; "" when they gave none) reading in `language` (default:
    the active one). For their country, then for anywhere: the rows staff wrote for it, shown ones only, in their
    order; while staff have written none for it, the defaults in code. Rows in another language are left out.
    Without a country, only resources for anywhere are shown, with no emergency number. `use_database=False` (error
    pages in an outage) uses the defaults alone; `guess_country=False` (a visitor who chose "another country") does
    not fall back on the language's country. One query."""
    language = _language(language)
    country = help_country(country=country, language=language) if guess_country else country.upper()
    scopes = [country, ""] if country else [""]
    rows: list[HelpResource] = []
    if use_database:
        rows = list(HelpResource.objects.filter(country__in=scopes).order_by("order", "name"))
    chosen: list[HelpResource | DefaultHelpResource] = []
    for scope in scopes:
        written = [row for row in rows if row.country == scope]
        if written:
            # Staff have spoken for this scope: their rows replace its defaults, and hidden rows stay hidden.
            chosen += [row for row in written if row.is_active]
        else:
            chosen += [default for default in DEFAULT_HELP_RESOURCES if default.country == scope]
    shown = tuple(resource for resource in chosen if resource.language in ("", language))
    return HelpResources(resources=shown, country=country, emergency_number=EMERGENCY_NUMBERS.get(country, ""))


def country_for_request(request: Any) -> str | None:
    """Whose lines a page shows: the signed-in person's own country; else the one a visitor chose on the page (the
    help-country cookie; None when they chose "another country", so nothing is guessed); else the one their
    browser's language names (None when it names none); else, with no Accept-Language at all, "" (help_resources_for
    then applies the active language's default country)."""
    user = getattr(request, "user", None)
    own = getattr(user, "country", "") if user is not None and user.is_authenticated else ""
    if own:
        return own
    chosen = getattr(request, "COOKIES", {}).get(HELP_COUNTRY_COOKIE, "")
    if chosen == HELP_COUNTRY_NONE:
        return None
    if len(chosen) == 2 and chosen.isascii() and chosen.isalpha():
        return chosen.upper()
    header = getattr(request, "headers", {}).get("Accept-Language", "")
    if header.strip():
        # The browser has spoken: its region, or its language's default country, or no guess at all (a bare "es"
        # or "de" must not fall back on the site's language and show, say, the US lines).
        return country_from_accept_language(header) or None
    return ""


def help_resources_for_request(request: Any) -> HelpResources:
    """help_resources_for the request's country (country_for_request) and language; worked out once per request
    (the page and its footer share it)."""
    cached = getattr(request, "_help_resources", None)
    if cached is not None:
        return cached
    country = country_for_request(request)
    resources = help_resources_for(country=country or "", guess_country=country is not None)
    with suppress(AttributeError):  # a stand-in request without attributes of its own
        request._help_resources = resources
    return resources
