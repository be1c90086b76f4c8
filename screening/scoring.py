"""Scoring a claimed batch: the models' calls and what each screening's outcome is. No writes (services settle).

One vectorised call per model; if it fails, one call per screening, so a bad one fails alone.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from predictor.services import Prediction, predict, predict_many, what_if_answers, what_if_results
from screening import metrics
from screening.models import Screening

logger = logging.getLogger(__name__)

# Lost or reset connections: worth retrying. Anything else from the database is a real refusal.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Scored:
    screening: Screening
    prediction: Prediction | None = None
    failure: str = ""  # the reason, when it could not be scored
    what_ifs: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def score_batch(claimed: list[Screening]) -> list[Scored]:
    """Every claimed screening scored, grouped by model; a group past the time limit fails as "timeout"."""
    groups: dict[str, list[Screening]] = {}
    for screening in claimed:
        if screening.started_at is not None:  # the claim sets it
            metrics.QUEUE_WAIT_SECONDS.labels(model=screening.model_key).observe(
                (screening.started_at - screening.created_at).total_seconds()
            )
        groups.setdefault(screening.model_key, []).append(screening)
    scored: list[Scored] = []
    for model_key, group in groups.items():
        started = time.perf_counter()
        try:
            results = _score_group(model_key, group)
        except SoftTimeLimitExceeded:
            results = [Scored(screening, failure="timeout") for screening in group]
        per_screening = (time.perf_counter() - started) / len(group)
        for _screening in group:
            metrics.INFERENCE_SECONDS.labels(model=model_key).observe(per_screening)
        scored.extend(results)
    return scored


def _score_group(model_key: str, screenings: list[Screening]) -> list[Scored]:
    # Each screening's what-ifs (predictor.whatifs) are scored in one more call for the whole group, without
    # explanations: nothing shows a what-if's factors, and explaining them cost more than scoring everything else.
    alternatives = [what_if_answers(screening.answers) for screening in screenings]
    try:
        predictions = predict_many(model_key, [screening.answers for screening in screenings])
        what_if_predictions = predict_many(
            model_key, [w.answers for group in alternatives for w in group], explain=False
        )
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception:
        return [_score_one(screening) for screening in screenings]
    scored = []
    start = 0
    for screening, prediction, group in zip(screenings, predictions, alternatives, strict=True):
        group_predictions = what_if_predictions[start : start + len(group)]
        start += len(group)
        if not _is_probability(prediction.probability):
            scored.append(_score_one(screening))
            continue
        scored.append(Scored(screening, prediction, what_ifs=what_if_results(group, group_predictions)))
    return scored


def _is_probability(value: float) -> bool:
    # The database cannot check the range of an encrypted value; this is the check it used to make.
    return math.isfinite(value) and 0 <= value <= 1


def _score_one(screening: Screening) -> Scored:
    try:
        prediction = predict(screening.model_key, screening.answers)
        if not _is_probability(prediction.probability):
            raise ValueError("the model returned no probability in [0, 1]")
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception as error:
        # Whatever the model did wrong is this screening's failure: tell the person, return the credits now
        # rather than after the sweep. Only the error's type is logged: its text may quote the answers.
        logger.warning(
            "screening scoring failed",
            extra={"screening_id": str(screening.id), "error_type": type(error).__name__},
        )
        return Scored(screening, failure="scoring_error")
    return Scored(screening, prediction, what_ifs=_what_ifs_alone(screening))


def _what_ifs_alone(screening: Screening) -> list[dict[str, Any]]:
    """The fallback path's what-ifs, in one vectorised call; without them if it fails (the result itself stands)."""
    alternatives = what_if_answers(screening.answers)
    if not alternatives:
        return []
    try:
        predictions = predict_many(screening.model_key, [a.answers for a in alternatives], explain=False)
        return what_if_results(alternatives, predictions)
    except (SoftTimeLimitExceeded, *TRANSIENT_DATABASE_ERRORS):
        raise
    except Exception:
        return []
