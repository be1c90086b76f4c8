from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.exceptions import IdempotencyConflict as IdempotencyConflict  # one for every idempotent create


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
