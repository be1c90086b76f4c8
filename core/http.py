"""Small HTTP helpers shared by the API and the pages."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers


def preferred_wait(request: HttpRequest, *, maximum: float) -> float:
    """Seconds asked for by `Prefer: wait=N` (RFC 7240 section 4.3), at most `maximum`; 0 when not asked."""
    for preference in request.headers.get("Prefer", "").split(","):
        name, _, value = preference.partition(";")[0].partition("=")
        if name.strip().lower() == "wait":
            try:
                seconds = float(value.strip().strip('"'))
            except ValueError:
                return 0.0
            return max(0.0, min(seconds, maximum))
    return 0.0


def answer_wait_preference(response: HttpResponseBase, *, wait: float, waited: bool) -> HttpResponseBase:
    """Say whether the request's `Prefer: wait` was honoured (RFC 7240 `Preference-Applied`), and that the answer
    depends on that header (`Vary: Prefer`)."""
    if waited:
        response["Preference-Applied"] = f"wait={wait:g}"
    patch_vary_headers(response, ["Prefer"])
    return response
