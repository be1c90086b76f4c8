"""Rate limits that keep counting when the shared cache (Redis) is down, instead of answering 500.

DRF's throttles read and write the default cache. When it is unreachable, the limiter falls back to a counter in
this process's memory and logs a warning: sign-in, tokens and registration keep working, still rate-limited (per
process rather than site-wide) until Redis is back.
"""

import functools
import logging
import math
from collections.abc import Callable

from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

logger = logging.getLogger(__name__)

_process_cache = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})


class CacheOutageFallbackMixin:
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as error:  # each cache backend raises its own connection errors
            logger.warning(
                "rate-limit cache unreachable; counting in this process",
                extra={"scope": getattr(self, "scope", ""), "error_type": type(error).__name__},
            )
            self.cache = _process_cache
            return super().allow_request(request, view)


class ResilientScopedRateThrottle(CacheOutageFallbackMixin, ScopedRateThrottle):
    pass


class ResilientSimpleRateThrottle(CacheOutageFallbackMixin, SimpleRateThrottle):
    pass


class AuthRateThrottle(ResilientSimpleRateThrottle):
    """The API's "auth" rate limit for HTML forms (login, sign-up, password reset, deletion, admin login).

    One counter per client address, shared with the API's login, token and registration endpoints.
    """

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def auth_rate_limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse a POST past the "auth" rate with a 429 page, before the view checks any password or sends any mail."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "POST":
            throttle = AuthRateThrottle()
            if not throttle.allow_request(request, None):
                return too_many_attempts(math.ceil(throttle.wait() or 1))
        return view(request, *args, **kwargs)

    return wrapper


def too_many_attempts(wait_seconds: int) -> HttpResponse:
    from core.errors import render_error_page

    response = render_error_page("429.html", 429, wait_seconds=wait_seconds)
    response["Retry-After"] = str(wait_seconds)
    return response
