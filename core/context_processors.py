"""What every page's footer needs: the crisis line and emergency number of the person's country."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core.models import COUNTRIES
from core.selectors import help_resources_for_request


def site_help(request: HttpRequest) -> dict[str, Any]:
    """`site_help`: the request's help resources, worked out only when a template reads them and shared with the
    page (one query per request at most); `help_countries`: the countries a visitor can pick in the footer."""
    return {
        "site_help": SimpleLazyObject(lambda: help_resources_for_request(request)),
        # Sorted by name in the page's language only when the footer's selector is drawn.
        "help_countries": SimpleLazyObject(
            lambda: sorted(((code, str(name)) for code, name in COUNTRIES.items()), key=lambda c: c[1])
        ),
    }
