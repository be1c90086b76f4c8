"""Domain errors that services raise; the API's exception handler turns them into responses."""

from typing import Any

from django.utils.translation import gettext_lazy


class ApplicationError(Exception):
    """A business rule refused the operation. `status_code` is the HTTP status the API answers with."""

    status_code = 400
    default_message = gettext_lazy("The request could not be completed.")

    def __init__(self, message: str | None = None, *, extra: dict[str, Any] | None = None) -> None:
        self.message = message or self.default_message
        self.extra = extra or {}
        # Response headers the refusal needs (a 429's Retry-After); the API's exception handler sends them.
        self.headers: dict[str, str] = {}
        super().__init__(self.message)


class IdempotencyConflict(ApplicationError):
    """An Idempotency-Key used again with a different request (core.idempotency)."""

    status_code = 409
    default_message = gettext_lazy("This Idempotency-Key was already used for a different request.")
