from accounts.models import User


def user_email_taken(*, email: str) -> bool:
    return User.objects.filter(email=User.objects.normalize_email(email)).exists()
