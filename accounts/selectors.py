from accounts.models import User


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email=User.objects.normalize_email(email)).exists()


PROFILE_FIELDS = ("id", "email", "display_name", "date_joined", "country", "language")


def user_profile(*, user: User) -> dict[str, object]:
    """What the person's profile shows, in one query.

    An API request's user has only its sign-in fields loaded (accounts.authentication): reading each other field
    from it would load them one query at a time.
    """
    return User.objects.filter(pk=user.pk).values(*PROFILE_FIELDS).get()
