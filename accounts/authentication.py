"""API authentication by signed token, with the user kept in the cache instead of read on every request.

A valid access token (signature and expiry checked by simplejwt) names its user. simplejwt then reads the user row
and checks that the account is active and that its password has not changed since the token was issued
(CHECK_REVOKE_TOKEN: the token carries a hash of the password hash). Here the row's fields are kept in the cache
(Redis in production) for AUTH_STATE_SECONDS and dropped whenever the user row is saved or deleted
(accounts.signals), so a password change, a deactivation or an erasure refuses the user's earlier tokens at once.
Without the cache (Redis unreachable) the row is read, exactly as simplejwt does.

request.user is a whole User, every field loaded, except the password hash: the cache holds only the hash of it
that the revocation check compares, and the rare code that checks a password (deleting the account) reads the
hash from the row when it asks for it.

A client sends the same access token with every request for its lifetime, so each process keeps the tokens it has
verified (signature, type, claims) for a few thousand clients and on a repeat only checks the expiry again: a
token string that verified once verifies always, until it expires. The revocation check above runs on every
request, cached token or not.

A refused token says why, in the one error shape: `extra.code` is "token_expired" (genuine, but past its expiry:
refresh it) or "token_invalid" (not a token this site issued, or altered).
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
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.models import User

logger = logging.getLogger(__name__)

# Bounds how long a missed invalidation (a read racing a password change's commit) could keep an old token valid.
AUTH_STATE_SECONDS = 60
# Every stored field of the user but the password hash (only its revocation hash is kept).
_KEPT_FIELDS = tuple(field.attname for field in User._meta.concrete_fields if field.attname != "password")

TOKEN_EXPIRED = "token_expired"  # noqa: S105 (an error code, not a secret)
TOKEN_INVALID = "token_invalid"  # noqa: S105


def token_expired() -> AuthenticationFailed:
    return AuthenticationFailed(
        _("Your access token has expired. Get a new one with your refresh token, or sign in again."),
        code=TOKEN_EXPIRED,
    )


def token_invalid() -> AuthenticationFailed:
    return AuthenticationFailed(
        _("This access token is not valid. Sign in again to get a new one."), code=TOKEN_INVALID
    )


def auth_state_key(user_id: object) -> str:
    return f"auth:user:{user_id}"


def forget_auth_state(user_id: object) -> None:
    """Drop the cached user: the next request with one of this user's tokens reads the row."""
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
    row = User.objects.filter(pk=user_id).values(*_KEPT_FIELDS, "password").first()
    if row is None:
        return None
    password = row.pop("password")
    return {"fields": row, "revoke_claim": get_md5_hash_password(password)}


class CachedJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = _verified_token(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())  # the one check whose answer changes with time
        except TokenError as error:
            raise token_expired() from error
        return token

    def get_user(self, validated_token: Token) -> User:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise token_invalid() from error
        state = _auth_state(user_id)
        if state is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        fields = state["fields"]
        if not fields["is_active"]:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != state["revoke_claim"]:
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        # Model.from_db, as a queryset builds an instance from a row: every field but the password set.
        return User.from_db("default", list(_KEPT_FIELDS), [fields[name] for name in _KEPT_FIELDS])


@functools.lru_cache(maxsize=4096)  # verified tokens kept per process: a token object and its payload each
def _verified_token(raw_token: bytes) -> Token:
    """simplejwt's full verification of a token string; what fails is not kept, so it fails again next time."""
    expired = False
    for token_class in api_settings.AUTH_TOKEN_CLASSES:
        try:
            return token_class(raw_token)
        except ExpiredTokenError:
            expired = True  # genuine (the signature was checked first), but past its expiry
        except TokenError:
            pass
    raise token_expired() if expired else token_invalid()


class CachedJWTScheme(SimpleJWTScheme):
    """The API schema describes it as the bearer token it is (the same `jwtAuth` scheme as before)."""

    target_class = CachedJWTAuthentication
