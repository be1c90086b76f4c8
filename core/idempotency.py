"""Create a row at most once per (owner, Idempotency-Key), for any model with those two fields and a fingerprint.

The first request creates; a repeat with the same content gets the earlier row back; a repeat with other content
is refused (IdempotencyConflict). Two requests with the same key at the same moment both miss the look-up, and the
model's unique (owner, idempotency_key) constraint lets one insert through: the other answers like a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from core.exceptions import IdempotencyConflict
from core.fingerprints import fingerprint_matches, request_fingerprint

M = TypeVar("M", bound=models.Model)


def idempotent_create(
    *, model: type[M], owner: Any, key: str, content: dict[str, Any], create: Callable[[str], M]
) -> tuple[M, bool]:
    """(row, created). `create(fingerprint)` writes the new row (and whatever goes with it) inside a transaction.

    `content` is what a repeat must repeat (core.fingerprints); without a key every call creates.
    """
    if key and (earlier := _earlier(model, owner=owner, key=key, content=content)):
        return earlier, False
    try:
        with transaction.atomic():
            return create(request_fingerprint(content)), True
    except IntegrityError:
        if key and (earlier := _earlier(model, owner=owner, key=key, content=content)):
            return earlier, False
        raise


def _earlier(model: type[M], *, owner: Any, key: str, content: dict[str, Any]) -> M | None:
    earlier = model._default_manager.filter(owner=owner, idempotency_key=key).first()
    if earlier is not None and not fingerprint_matches(earlier.request_fingerprint, content):  # type: ignore[attr-defined]
        raise IdempotencyConflict()
    return earlier
