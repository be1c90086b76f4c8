"""Symptom self-checks: validate, score and store in one step. Free, and never queued: it is a sum, not a model."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.idempotency import idempotent_create
from symptoms import metrics
from symptoms.exceptions import (
    InstrumentNotOffered,
    SymptomAnswersInvalid,
    SymptomAnswersRejected,
)
from symptoms.instruments import INSTRUMENTS, score, validate_answers
from symptoms.models import SymptomCheck

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SymptomSubmission:
    check: SymptomCheck
    created: bool  # False when an Idempotency-Key replayed an earlier submission


def symptom_check_submit(
    *, user: User, instrument_key: str, answers: Any, idempotency_key: str = ""
) -> SymptomSubmission:
    """Score one questionnaire for its owner. The same Idempotency-Key and body return the earlier check;
    the same key with another body is refused."""
    instrument = INSTRUMENTS.get(instrument_key)
    if instrument is None:
        raise InstrumentNotOffered(
            f"There is no questionnaire called {instrument_key!r}.",
            extra={"fields": {"instrument": [f"Choose one of: {', '.join(INSTRUMENTS)}."]}},
        )
    try:
        cleaned = validate_answers(instrument, answers)
    except SymptomAnswersInvalid as error:
        raise SymptomAnswersRejected(extra={"fields": error.errors}) from error

    result = score(instrument, cleaned)
    check, created = idempotent_create(
        model=SymptomCheck,
        owner=user,
        key=idempotency_key,
        # What a repeated Idempotency-Key must repeat: the instrument and the validated answers.
        content={"instrument": instrument.key, "answers": cleaned},
        create=lambda fingerprint: SymptomCheck.objects.create(
            owner=user,
            instrument=instrument.key,
            answers=cleaned,
            total=result.total,
            band=result.band.key,
            safety_flag=result.safety_flag,
            idempotency_key=idempotency_key,
            request_fingerprint=fingerprint,
        ),
    )
    if not created:
        return SymptomSubmission(check=check, created=False)

    metrics.SUBMITTED.labels(instrument=instrument.key).inc()
    if result.safety_flag:
        metrics.SAFETY_PATH.inc()  # counted apart, never logged: the log line below is the same for everyone
    logger.info("symptom check scored", extra={"symptom_check_id": str(check.id), "instrument": instrument.key})
    return SymptomSubmission(check=check, created=True)
