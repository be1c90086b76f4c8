"""Rate limits that keep counting when the shared cache (Redis) is down, instead of answering 500.

DRF's throttles read and write the default cache. When it is unreachable, the limiter falls back to a counter in
this process's memory and logs a warning: sign-in, tokens and registration keep working, still rate-limited (per
process rather than site-wide) until Redis is back.
"""

import logging

from django.core.cache.backends.locmem import LocMemCache
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
