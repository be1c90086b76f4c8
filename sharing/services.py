"""Writes of share links: create (the token is returned once and only its hash kept), revoke, and open.

The token is 32 random bytes (`secrets.token_urlsafe`, 256 bits); the database holds its SHA-256. A hash without a
salt is enough here because the token is random and long, not a password a person chose: nobody can guess it or
reverse its hash (docs/sharing.md, "Security model").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sharing.models import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, ShareLink, ShareOpening

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# Longer than any token this site makes (43 characters): a longer one is refused without being hashed differently.
TOKEN_MAX_LENGTH = 64


@dataclass(frozen=True)
class CreatedShareLink:
    link: ShareLink
    token: str  # shown once to the owner, never stored


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def share_link_create(
    *,
    user: User,
    contents: str = ShareLink.Contents.CHECKS,
    days: int = DEFAULT_DAYS,
    language: str,
    show_name: bool = True,
) -> CreatedShareLink:
    errors: dict[str, list[str]] = {}
    if not MIN_DAYS <= days <= MAX_DAYS:
        errors["days"] = [str(_("Choose from %(min)d to %(max)d days.") % {"min": MIN_DAYS, "max": MAX_DAYS})]
    if contents not in ShareLink.Contents.values:
        errors["contents"] = [str(_("Choose what the link shows."))]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = [str(_("Choose one of the languages on offer."))]
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    link = ShareLink.objects.create(
        owner=user,
        token_hash=token_hash(token),
        contents=contents,
        language=language,
        show_name=show_name,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    logger.info("share link created", extra={"share_link_id": str(link.id), "days": days})
    return CreatedShareLink(link=link, token=token)


def share_link_revoke(*, user: User, link_id: UUID) -> ShareLink:
    """Revoke at once; a link already revoked keeps its first time. Someone else's link is a 404, as if unknown."""
    with transaction.atomic():
        link = get_object_or_404(ShareLink.objects.select_for_update(), id=link_id, owner=user)
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            link.save(update_fields=["revoked_at"])
            logger.info("share link revoked", extra={"share_link_id": str(link.id)})
    return link


def client_kind(user_agent: str) -> str:
    """A coarse class of the client from its User-Agent; the header itself is not kept."""
    if any(word in user_agent for word in ("Mobi", "Android", "iPhone", "iPad", "Tablet")):
        return ShareOpening.Client.PHONE
    if user_agent.startswith("Mozilla/") and any(
        word in user_agent for word in ("Windows", "Macintosh", "X11", "CrOS")
    ):
        return ShareOpening.Client.DESKTOP
    return ShareOpening.Client.OTHER


def share_link_open(
    *, token: str, user_agent: str, format: str = ShareOpening.Format.PAGE, record: bool = True
) -> ShareLink | None:
    """The live link for a token, with the opening recorded (unless `record` is False: a FHIR Bundle's later
    pages are the same opening as its first); None for an unknown, expired or revoked one.

    Every token goes through the same steps (hash, one indexed lookup, a constant-time comparison), so an unknown
    token cannot be told from an expired or revoked one by the answer or its time class.
    """
    digest = token_hash(token[:TOKEN_MAX_LENGTH])
    link = ShareLink.objects.select_related("owner").filter(token_hash=digest).first()
    stored = link.token_hash if link is not None else "0" * 64
    matches = hmac.compare_digest(stored, digest) and len(token) <= TOKEN_MAX_LENGTH
    if link is None or not matches or not link.is_live(timezone.now()):
        return None
    if record:
        ShareOpening.objects.create(link=link, client=client_kind(user_agent), format=format)
        logger.info("share link opened", extra={"share_link_id": str(link.id), "format": format})
    return link
