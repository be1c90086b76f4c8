from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from billing.services import wallet_create

EMAIL_TAKEN = "An account with this email address already exists."


def user_register(*, email: str, password: str, display_name: str = "") -> User:
    """A new account with its wallet and welcome credits, all or nothing."""
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, display_name=display_name)
            wallet_create(user=user)
    except IntegrityError as error:
        # Two sign-ups with the same address at once: the database's unique index decides.
        raise ValidationError({"email": [EMAIL_TAKEN]}) from error
    return user
