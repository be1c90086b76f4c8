"""A check a visitor took before signing up becomes the new account's first, in the sign-up's own transaction; a
sign-up with an address that already has an account drops it."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.dispatch import receiver

from accounts.services import signup_address_taken, user_registered
from symptoms.services import symptom_check_keep

# Where a visitor's sealed check waits to be kept (symptoms.views.keep); nothing else is put there.
UNSAVED_CHECK_SESSION_KEY = "symptoms.unsaved_check"


@receiver(user_registered, dispatch_uid="symptoms-keep-the-visitors-check")
def _keep_the_visitors_check(sender: Any, user: Any, session: SessionBase | None = None, **kwargs: Any) -> None:
    sealed = session.get(UNSAVED_CHECK_SESSION_KEY) if session is not None else None
    if not sealed:
        return
    # Inside user_register's transaction: the account and its first check are stored together or not at all.
    symptom_check_keep(user=user, sealed=sealed)

    def forget() -> None:
        # Kept once (or expired): it leaves the session, and the session lasts as long as a signed-in one again.
        session.pop(UNSAVED_CHECK_SESSION_KEY, None)
        session.set_expiry(None)

    transaction.on_commit(forget)


@receiver(signup_address_taken, dispatch_uid="symptoms-drop-the-visitors-check-at-a-taken-address")
def _drop_the_visitors_check_at_a_taken_address(sender: Any, session: SessionBase | None = None, **kwargs: Any) -> None:
    # Never into the account that owns the address: that would hand a stranger's answers to someone else. Nor left
    # waiting: the session must look as it does after a new account took the check (the same expiry, no check),
    # or it would tell whether the address has an account; and its owner's next log-in would drop it anyway.
    if session is not None and session.pop(UNSAVED_CHECK_SESSION_KEY, None):
        session.set_expiry(None)


@receiver(user_logged_in, dispatch_uid="symptoms-drop-the-visitors-check-at-log-in")
def _drop_the_visitors_check(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Only a sign-up keeps it (whoever logs in next on a shared browser must not inherit it); a sign-up has already
    # taken it out when it logs the new account in.
    session = getattr(request, "session", None)
    if session is not None and session.pop(UNSAVED_CHECK_SESSION_KEY, None):
        session.set_expiry(None)
