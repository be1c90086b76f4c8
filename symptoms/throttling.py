"""The rate limit on symptom checks taken without an account (web only; the API needs an account)."""

from __future__ import annotations

from typing import Any

from core.throttling import ResilientSimpleRateThrottle


class VisitorCheckThrottle(ResilientSimpleRateThrottle):
    """One counter per client address for scoring and keeping checks without an account. Nothing about the answers
    is in the counter: only the client's address and the times of its requests (DRF's throttle history).
    The rate is settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["symptoms_visitor"]."""

    scope = "symptoms_visitor"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
