"""Symptom self-checks: validate, score and store in one step. Free, and never queued: it is a sum, not a model.

A visitor without an account gets the same validation and scoring (`symptom_check_score`) with nothing stored. If
they choose to keep the result by signing up, it waits in their session sealed with the health-data keys
(`symptom_check_seal`), for an hour at most, and becomes the new account's first check inside the sign-up's
transaction (`symptom_check_keep`, from the receiver in symptoms.signals).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from core.fields import health_data_fernet
from core.idempotency import idempotent_create
from symptoms import metrics
from symptoms.exceptions import (
    InstrumentNotOffered,
    SymptomAnswersInvalid,
    SymptomAnswersRejected,
    SymptomCheckLimitReached,
)
from symptoms.instruments import INSTRUMENTS, Instrument, score, validate_answers
from symptoms.limits import VOLUME_LIMITS
from symptoms.models import SymptomCheck

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

# How long a visitor's result may wait to be kept (the sealed token's own timestamp says when it was made).
UNSAVED_CHECK_MAX_AGE_SECONDS = 60 * 60


@dataclass(frozen=True)
class SymptomSubmission:
    check: SymptomCheck
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def _validated(instrument_key: str, answers: Any) -> tuple[Instrument, dict[str, Any]]:
    instrument = INSTRUMENTS.get(instrument_key)
    if instrument is None:
        raise InstrumentNotOffered(
            f"There is no questionnaire called {instrument_key!r}.",
            extra={"fields": {"instrument": [f"Choose one of: {', '.join(INSTRUMENTS)}."]}},
        )
    try:
        return instrument, validate_answers(instrument, answers)
    except SymptomAnswersInvalid as error:
        raise SymptomAnswersRejected(extra={"fields": error.errors}) from error


def symptom_check_submit(
    *, user: User, instrument_key: str, answers: Any, idempotency_key: str = ""
) -> SymptomSubmission:
    """Score one questionnaire for its owner. The same Idempotency-Key and body return the earlier check;
    the same key with another body is refused. A new check past the person's volume limits (symptoms.limits) is
    refused with SymptomCheckLimitReached, and nothing is stored."""
    instrument, cleaned = _validated(instrument_key, answers)
    result = score(instrument, cleaned)

    def create(fingerprint: str) -> SymptomCheck:
        # Inside idempotent_create's transaction. The person's row is locked first, so two submissions for the
        # last slot take turns: the second counts the first's check. FOR NO KEY UPDATE (not FOR UPDATE) leaves
        # other rows that point at the person (a screening, a ledger entry) free to be written meanwhile.
        list(get_user_model().objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk"))
        # Stored first, counted after: a replay of a key whose check just took the last slot meets the unique
        # (owner, idempotency_key) constraint here and is answered with that check, never refused.
        check = SymptomCheck.objects.create(
            owner=user,
            instrument=instrument.key,
            answers=cleaned,
            total=result.total,
            band=result.band.key,
            safety_flag=result.safety_flag,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        )
        _refuse_past_the_limits(user=user, now=check.created_at, safety_flag=result.safety_flag)
        return check

    try:
        check, created = idempotent_create(
            model=SymptomCheck,
            owner=user,
            key=idempotency_key,
            # What a repeated Idempotency-Key must repeat: the instrument and the validated answers.
            content={"instrument": instrument.key, "answers": cleaned},
            create=create,
        )
    except SymptomCheckLimitReached as refused:
        metrics.REFUSED_OVER_LIMIT.labels(limit=refused.limit.key).inc()
        logger.info(
            "symptom check refused over the volume limit", extra={"user_id": user.pk, "limit": refused.limit.key}
        )
        raise
    if not created:
        return SymptomSubmission(check=check, created=False)

    metrics.SUBMITTED.labels(instrument=instrument.key).inc()
    if result.safety_flag:
        metrics.SAFETY_PATH.inc()  # counted apart, never logged: the log line below is the same for everyone
    logger.info("symptom check scored", extra={"symptom_check_id": str(check.id), "instrument": instrument.key})
    return SymptomSubmission(check=check, created=True)


def _refuse_past_the_limits(*, user: User, now: datetime, safety_flag: bool) -> None:
    """Raise (rolling back the check just stored) when it made one more than a limit allows in its window."""
    counts = SymptomCheck.objects.filter(owner=user).aggregate(
        **{limit.key: Count("pk", filter=Q(created_at__gt=now - limit.window)) for limit in VOLUME_LIMITS}
    )
    over = [limit for limit in VOLUME_LIMITS if counts[limit.key] > limit.checks]
    if not over:
        return
    # The refusal names the limit that keeps the person waiting longest: they may send again once enough of the
    # checks inside its window have left it (the oldest one, unless the limit was lowered meanwhile).
    waits: dict[str, int] = {}
    for limit in over:
        in_window = SymptomCheck.objects.filter(owner=user, created_at__gt=now - limit.window)
        leaves_last = in_window.order_by("created_at").values_list("created_at", flat=True)[
            counts[limit.key] - limit.checks - 1
        ]
        waits[limit.key] = max(1, math.ceil((leaves_last + limit.window - now).total_seconds()))
    limit = max(over, key=lambda limit: waits[limit.key])
    raise SymptomCheckLimitReached(limit=limit, retry_after=waits[limit.key], safety_flag=safety_flag)


def symptom_check_score(*, instrument_key: str, answers: Any) -> SymptomCheck:
    """Score one questionnaire for a visitor without an account, exactly as `symptom_check_submit` would, and
    store nothing: the check returned has no owner and is never saved. Nothing about it is logged but the
    instrument; the metrics count it like any check (instrument only), and the safety path without a label."""
    instrument, cleaned = _validated(instrument_key, answers)
    result = score(instrument, cleaned)
    metrics.SCORED_WITHOUT_ACCOUNT.labels(instrument=instrument.key).inc()
    if result.safety_flag:
        metrics.SAFETY_PATH.inc()
    logger.info("symptom check scored without an account", extra={"instrument": instrument.key})
    return SymptomCheck(
        instrument=instrument.key,
        answers=cleaned,
        total=result.total,
        band=result.band.key,
        safety_flag=result.safety_flag,
        created_at=timezone.now(),
    )


def symptom_check_seal(*, check: SymptomCheck) -> str:
    """An unsaved check's instrument and answers, encrypted with the health-data keys (core.fields) and stamped
    with the time: what may wait in a visitor's session, for `UNSAVED_CHECK_MAX_AGE_SECONDS`, to be kept."""
    payload = json.dumps({"instrument": check.instrument, "answers": check.answers}, separators=(",", ":"))
    return health_data_fernet().encrypt(payload.encode()).decode()


def symptom_check_unseal(*, sealed: str) -> dict[str, Any] | None:
    """The instrument and answers of a sealed check, or None when it is older than an hour, altered or not ours."""
    try:
        payload = health_data_fernet().decrypt(sealed.encode(), ttl=UNSAVED_CHECK_MAX_AGE_SECONDS)
        content = json.loads(payload)
    except (InvalidToken, ValueError, TypeError):
        return None
    if not isinstance(content, dict) or not isinstance(content.get("answers"), dict):
        return None
    return content


def symptom_check_keep(*, user: User, sealed: str) -> SymptomSubmission | None:
    """A visitor's sealed check as `user`'s own, validated and scored again; None when it has expired. Called in
    the sign-up's transaction. Keeping the same sealed check twice stores it once (its idempotency key)."""
    content = symptom_check_unseal(sealed=sealed)
    if content is None:
        return None
    return symptom_check_submit(
        user=user,
        instrument_key=str(content.get("instrument", "")),
        answers=content["answers"],
        idempotency_key="kept:" + hashlib.sha256(sealed.encode()).hexdigest(),
    )
