import math

from django.utils.translation import gettext_lazy, ngettext

from core.exceptions import ApplicationError
from core.exceptions import IdempotencyConflict as IdempotencyConflict  # one for every idempotent create
from symptoms.limits import VolumeLimit


class SymptomAnswersInvalid(Exception):
    """Raised by the instruments' validation; `errors` maps each item key to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} invalid answer(s)")


class SymptomAnswersRejected(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("Some answers are missing or not valid.")


class InstrumentNotOffered(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("There is no such questionnaire.")


class SymptomCheckLimitReached(ApplicationError):
    """More checks in a window than one person may store (symptoms.limits). Nothing was stored.

    `safety_flag` says whether the refused answers would have opened the safety path, so the page that refuses
    them can still open with the crisis lines (and an API client with its own); it is never logged.
    """

    status_code = 429

    def __init__(self, *, limit: VolumeLimit, retry_after: int, safety_flag: bool) -> None:
        self.limit = limit
        self.retry_after = retry_after
        self.safety_flag = safety_flag
        super().__init__(
            f"{_limit_sentence(limit)} {_wait_sentence(retry_after)}",
            extra={
                "limit": {"checks": limit.checks, "window_seconds": int(limit.window.total_seconds())},
                "retry_after": retry_after,
                "safety_flag": safety_flag,
            },
        )
        self.headers = {"Retry-After": str(retry_after)}


def _limit_sentence(limit: VolumeLimit) -> str:
    if limit.key == "burst":
        return ngettext(
            "You have sent %(count)d questionnaire in the last %(minutes)d minutes, as many as we store for one "
            "person in so short a time.",
            "You have sent %(count)d questionnaires in the last %(minutes)d minutes, as many as we store for one "
            "person in so short a time.",
            limit.checks,
        ) % {"count": limit.checks, "minutes": int(limit.window.total_seconds() // 60)}
    return ngettext(
        "You have sent %(count)d questionnaire in the last 24 hours, the most we store for one person in a day. "
        "They ask about the last 2 weeks, so answering more often does not tell more.",
        "You have sent %(count)d questionnaires in the last 24 hours, the most we store for one person in a day. "
        "They ask about the last 2 weeks, so answering more often does not tell more.",
        limit.checks,
    ) % {"count": limit.checks}


def _wait_sentence(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return ngettext(
            "Your answers were not stored; you can send them in %(count)d minute.",
            "Your answers were not stored; you can send them in %(count)d minutes.",
            minutes,
        ) % {"count": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext(
        "Your answers were not stored; you can send them in %(count)d hour.",
        "Your answers were not stored; you can send them in %(count)d hours.",
        hours,
    ) % {"count": hours}
