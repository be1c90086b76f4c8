"""Which help resources a page shows: the person's country (or the one their language suggests), their language,
and never another country's emergency number."""

from __future__ import annotations

from collections.abc import Iterator
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
    def emergency_tel(self) -> str:
        return "".join(ch for ch in self.emergency_number if ch.isdigit())


def _language(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0].lower()


def help_country(*, country: str = "", language: str | None = None) -> str:
    """The person's own country when they gave one, else the one their language suggests, else ""."""
    return (country or DEFAULT_COUNTRY_FOR_LANGUAGE.get(_language(language), "")).upper()


def help_resources_for(*, country: str = "", language: str | None = None, use_database: bool = True) -> HelpResources:
    """The resources for a person in `country` (their own; "" when they gave none) reading in `language` (default:
    the active one). For their country, then for anywhere: the rows staff wrote for it, shown ones only, in their
    order; while staff have written none for it, the defaults in code. Rows in another language are left out.
    Without a country, only resources for anywhere are shown, with no emergency number. `use_database=False` (error
    pages in an outage) uses the defaults alone. One query."""
    language = _language(language)
    country = help_country(country=country, language=language)
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


def help_resources_for_request(request: Any) -> HelpResources:
    """help_resources_for the signed-in person's own country (none for a visitor) and the request's language."""
    user = getattr(request, "user", None)
    country = getattr(user, "country", "") if user is not None and user.is_authenticated else ""
    return help_resources_for(country=country or "")
