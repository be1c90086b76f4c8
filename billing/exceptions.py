from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError


class InsufficientCredits(ApplicationError):
    status_code = 402
    default_message = gettext_lazy("Not enough credits.")


class BillingError(ApplicationError):
    status_code = 409
    default_message = gettext_lazy("The credits for this screening are in an unexpected state.")
