from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.exceptions import IdempotencyConflict as IdempotencyConflict  # one for every idempotent create


class AnswersRejected(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("Some answers are not valid.")


class ModelNotOffered(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("There is no such model.")


class NotRetryable(ApplicationError):
    status_code = 409
    default_message = gettext_lazy("Only a failed screening can be retried.")
