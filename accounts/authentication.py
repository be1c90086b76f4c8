"""API authentication by signed token, without reading the user row on every request.

A valid access token (signature and expiry checked by simplejwt) names its user. What a request needs to trust
it beyond the signature is small: the account still exists and is active, and its password has not changed since
the token was issued (CHECK_REVOKE_TOKEN: the token carries a hash of the password hash). That state is kept in
the cache (Redis in production) for AUTH_STATE_SECONDS and dropped whenever the user row is saved or deleted
(accounts.signals), so a password change, a deactivation or an erasure refuses the user's earlier tokens at once.
Without the cache (Redis unreachable) the row is read, exactly as simplejwt does.

request.user is the User with only id, is_active, is_staff and is_superuser loaded; any other field is read from
the database the first time something uses it (Django's deferred fields).

A client sends the same access token with every request for its lifetime, so each process keeps the tokens it has
verified (signature, type, claims) for a few thousand clients and on a repeat only checks the expiry again: a
token string that verified once verifies always, until it expires. The revocation check above runs on every
request, cached token or not.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.models import User

logger = logging.getLogger(__name__)

# Bounds how long a missed invalidation (a read racing a password change's commit) could keep an old token valid.
AUTH_STATE_SECONDS = 60
_LOADED_FIELDS = ("id", "is_active", "is_staff", "is_superuser")


def auth_state_key(user_id: object) -> str:
    return f"auth:user:{user_id}"


def forget_auth_state(user_id: object) -> None:
    """Drop the cached state: the next request with one of this user's tokens reads the row."""
    try:
        cache.delete(auth_state_key(user_id))
    except Exception as error:  # a cache that is down holds nothing to forget
        logger.warning("could not drop cached sign-in state", extra={"error_type": type(error).__name__})


def _auth_state(user_id: object) -> dict[str, Any] | None:
    key = auth_state_key(user_id)
    try:
        state = cache.get(key)
    except Exception as error:
        logger.warning("sign-in state cache unavailable", extra={"error_type": type(error).__name__})
        return _read_state(user_id)
    if state is None:
        state = _read_state(user_id)
        if state is not None:
            try:
                cache.set(key, state, AUTH_STATE_SECONDS)
            except Exception as error:
                logger.warning("sign-in state cache unavailable", extra={"error_type": type(error).__name__})
    return state


def _read_state(user_id: object) -> dict[str, Any] | None:
    row = User.objects.filter(pk=user_id).values(*_LOADED_FIELDS, "password").first()
    if row is None:
        return None
    password = row.pop("password")
    return {**row, "revoke_claim": get_md5_hash_password(password)}


# Verified tokens kept per process. An entry is a token object and its payload (a few hundred bytes).
VERIFIED_TOKENS_KEPT = 4096


class CachedJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_token(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())  # the one check whose answer changes with time
        except TokenError:
            # Expired since it was verified: simplejwt checks it again and refuses it with its own message.
            return super().get_validated_token(raw_token)
        return token

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        state = _auth_state(user_id)
        if state is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not state["is_active"]:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != state["revoke_claim"]:
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return User.from_db("default", list(_LOADED_FIELDS), [state[name] for name in _LOADED_FIELDS])


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified_token(raw_token: bytes) -> Token:
    """simplejwt's full verification of a token string; what fails is not kept, so it fails again next time."""
    return JWTAuthentication().get_validated_token(raw_token)


class CachedJWTScheme(SimpleJWTScheme):
    """The API schema describes it as the bearer token it is (the same `jwtAuth` scheme as before)."""

    target_class = CachedJWTAuthentication
