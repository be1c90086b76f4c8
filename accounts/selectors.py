from accounts.models import User


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email=User.objects.normalize_email(email)).exists()


PROFILE_FIELDS = ("id", "email", "display_name", "date_joined", "country", "language")


def user_profile(*, user: User) -> dict[str, object]:
    """What the person's profile shows: the signed-in user is loaded whole (accounts.authentication), no query."""
    return {name: getattr(user, name) for name in PROFILE_FIELDS}
