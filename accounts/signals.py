"""Cached sign-in state (accounts.authentication) follows every change to a user row; the person's language
follows them into each new session."""

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.authentication import forget_auth_state
from accounts.models import User
from core.middleware import LANGUAGE_SESSION_KEY


@receiver(post_save, sender=User, dispatch_uid="accounts-forget-auth-state-on-save")
@receiver(post_delete, sender=User, dispatch_uid="accounts-forget-auth-state-on-delete")
def _forget_auth_state(sender, instance: User, **kwargs) -> None:
    forget_auth_state(instance.pk)
    # Again once committed: a request that read the old row before the commit may have cached it meanwhile.
    transaction.on_commit(lambda: forget_auth_state(instance.pk))


@receiver(user_logged_in, dispatch_uid="accounts-language-into-session")
def _language_into_session(sender, request, user: User, **kwargs) -> None:
    # core.middleware.LocaleMiddleware reads it from the session on every later request, not from the user row.
    if request is not None and hasattr(request, "session") and getattr(user, "language", ""):
        request.session[LANGUAGE_SESSION_KEY] = user.language
