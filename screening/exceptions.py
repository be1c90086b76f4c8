from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError


class AnswersRejected(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("Some answers are not valid.")


class ModelNotOffered(ApplicationError):
    status_code = 400
    default_message = gettext_lazy("There is no such model.")


class IdempotencyConflict(ApplicationError):
    status_code = 409
    default_message = gettext_lazy("This Idempotency-Key was already used for a different request.")


class NotRetryable(ApplicationError):
    status_code = 409
    default_message = gettext_lazy("Only a failed screening can be retried.")
