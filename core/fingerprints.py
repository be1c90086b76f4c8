"""Keyed fingerprints of submissions, to recognise a repeated Idempotency-Key without keeping what was sent.

A plain hash of a request is a guessing oracle: whoever reads the table can hash candidate answers ("age 34,
female, …") until one matches. The fingerprint is an HMAC-SHA256 instead, with a key derived from SECRET_KEY
(django.utils.crypto.salted_hmac with a salt of its own), so without that key a stored fingerprint tests nothing.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

KEY_SALT = "mental-health-checker.request-fingerprint"


def _fingerprint(payload: dict[str, Any], secret: str) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return salted_hmac(KEY_SALT, canonical, secret=secret, algorithm="sha256").hexdigest()


def request_fingerprint(payload: dict[str, Any]) -> str:
    """The fingerprint of a submission's validated content (64 hex digits), under the current SECRET_KEY."""
    return _fingerprint(payload, settings.SECRET_KEY)


def fingerprint_matches(stored: str, payload: dict[str, Any]) -> bool:
    """Whether `stored` is the fingerprint of `payload`, under SECRET_KEY or one of SECRET_KEY_FALLBACKS (so a
    secret rotation does not turn a replay into a conflict). Compared in constant time."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(hmac.compare_digest(stored, _fingerprint(payload, secret)) for secret in secrets)
