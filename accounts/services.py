from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal

from accounts.models import User

EMAIL_TAKEN = "An account with this email address already exists."

# Sent inside the registration's transaction, so what a receiver creates (billing: the wallet and welcome
# credits) is all or nothing with the account. Receivers connect in their AppConfig.ready().
user_registered = Signal()


def user_register(*, email: str, password: str, display_name: str = "") -> User:
    """A new account with whatever other apps attach to it (its wallet and welcome credits), all or nothing."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, display_name=display_name)
            user_registered.send(sender=User, user=user)
    except IntegrityError as error:
        # Two sign-ups with the same address at once: the database's unique index decides.
        raise ValidationError({"email": [EMAIL_TAKEN]}) from error
    return user


def user_remember_units(*, user: User, units: dict[str, str]) -> None:
    """Keep the units a person typed their measurements in, to offer them first next time."""
    if units and units != user.preferred_units:
        user.preferred_units = units
        user.save(update_fields=["preferred_units"])
