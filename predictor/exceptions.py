"""Domain errors raised by the predictor.

They derive from `core.exceptions.ApplicationError`, so the API's one exception handler answers them in the
project's error shape (`{"message": ..., "extra": {"fields": {...}}}`) without any view catching them.
"""

from __future__ import annotations

from core.exceptions import ApplicationError


class PredictorError(ApplicationError):
    """Base class so callers can catch every predictor failure in one place."""


class AnswersInvalid(PredictorError):
    """The questionnaire answers failed validation.

    `errors` maps a question key to human-readable messages, the same shape as a Django form's errors.
    """

    status_code = 400

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("Some answers are not valid.", extra={"fields": errors})


class UnknownModel(PredictorError):
    """A model key that is not one of `MODEL_KEYS`."""

    status_code = 400

    def __init__(self, model_key: str, known: tuple[str, ...] = ()) -> None:
        self.model_key = model_key
        choices = f" Choose one of: {', '.join(known)}." if known else ""
        super().__init__(f"Unknown model {model_key!r}.{choices}", extra={"fields": {"model": ["Unknown model."]}})


class ArtifactError(PredictorError):
    """A model artifact is missing, unreadable or does not match its manifest; nothing is unpickled then."""

    status_code = 503
