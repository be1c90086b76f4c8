import logging
from typing import TypedDict

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import metrics
from accounts.models import User

logger = logging.getLogger(__name__)

EMAIL_TAKEN = gettext_lazy("An account with this email address already exists.")

# Sent inside the registration's transaction, so what a receiver creates (billing: the wallet and welcome
# credits; symptoms: a check the visitor took before signing up) is all or nothing with the account. Receivers
# connect in their AppConfig.ready(). Arguments: `user`, and `session`, the web sign-up's session (None from the API).
user_registered = Signal()

# Sent when a sign-up names an address that already has an account: nothing is created, and a receiver undoes
# what the visitor left waiting in their web `session` for a new account (symptoms: a check taken before signing
# up must never join someone else's account). Argument: `session` (None from the API).
signup_address_taken = Signal()


def password_validate(*, password: str, email: str, display_name: str = "") -> None:
    """Run the configured password validators against the person who will own it.

    With the user, UserAttributeSimilarityValidator compares the password with the email and display name
    (without one it checks nothing). Raises ValidationError with the validators' messages.
    """
    person = User(email=User.objects.normalize_email(email), display_name=display_name)
    password_validation.validate_password(password, user=person)


def user_register(
    *,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "",
    country: str = "",
    session: SessionBase | None = None,
) -> User:
    """A new account with whatever other apps attach to it (its wallet and welcome credits, what the visitor left
    waiting in their web `session` to be kept), all or nothing.

    The web form and the API call `password_validate` first to show field errors; this checks again so no other
    caller can create an account with a password the validators refuse.
    """
    email = User.objects.normalize_email(email)
    try:
        password_validate(password=password, email=email, display_name=display_name)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email,
                password=password,
                display_name=display_name,
                language=language_or_blank(language),
                country=country_or_blank(country),
            )
            user_registered.send(sender=User, user=user, session=session)
    except IntegrityError as error:
        # Two sign-ups with the same address at once: the database's unique index decides.
        raise ValidationError({"email": [EMAIL_TAKEN]}) from error
    return user


class SignUpMail(TypedDict):
    """Where a sign-up's e-mail links point, and its language: all a task needs besides the account's id."""

    domain: str
    use_https: bool
    language: str


def user_sign_up(
    *,
    email: str,
    password: str,
    domain: str,
    use_https: bool,
    display_name: str = "",
    language: str = "",
    country: str = "",
    session: SessionBase | None = None,
) -> None:
    """Sign-up that does not tell whether the address already has an account (OWASP Authentication Cheat Sheet,
    "Authentication and Error Messages": account creation answers the same either way).

    A new address gets its account (`user_register`) and a short welcome e-mail; an address that has an account
    gets nothing created, and its owner an e-mail saying someone tried, with links to sign in or reset the password.
    Both paths hash the submitted password once (PBKDF2 in production, the costly part of a sign-up), so they take
    about as long; both queue one e-mail after the commit. Returns nothing: callers answer the same either way.
    Raises ValidationError only for what does not depend on the address's owner (a password the validators refuse).
    """
    email = User.objects.normalize_email(email)
    mail = SignUpMail(domain=domain, use_https=use_https, language=language_or_blank(language))
    existing_id = User.objects.filter(email=email).values_list("pk", flat=True).first()
    if existing_id is None:
        try:
            user = user_register(
                email=email,
                password=password,
                display_name=display_name,
                language=language,
                country=country,
                session=session,
            )
        except ValidationError as error:
            if "email" not in getattr(error, "error_dict", {}):
                raise
            # Another sign-up with the same address committed first (the unique index decided): this one is the
            # taken-address case, its password already hashed once.
            existing_id = User.objects.filter(email=email).values_list("pk", flat=True).first()
            if existing_id is not None:
                _signup_address_taken(user_id=existing_id, session=session, mail=mail)
            return
        transaction.on_commit(lambda: _account_email_queue(kind="welcome", user_id=user.pk, **mail))
        return
    # The work a new account's password costs, done and thrown away, so the answer takes as long.
    make_password(password)
    _signup_address_taken(user_id=existing_id, session=session, mail=mail)


def _signup_address_taken(*, user_id: int, session: SessionBase | None, mail: SignUpMail) -> None:
    signup_address_taken.send(sender=User, session=session)
    transaction.on_commit(lambda: _account_email_queue(kind="signup_existing", user_id=user_id, **mail))


def _account_email_queue(*, kind: str, user_id: int, domain: str, use_https: bool, language: str) -> None:
    """Queue an account e-mail (only ids travel through the broker); with the broker unreachable, count and log
    the loss instead of failing a sign-up that has already been answered for."""
    from accounts.tasks import send_sign_up_email

    try:
        send_sign_up_email.delay(kind=kind, user_id=user_id, domain=domain, use_https=use_https, language=language)
    except Exception as error:
        metrics.EMAILS.labels(kind=kind, outcome="failed").inc()
        logger.warning(
            "account e-mail not queued", extra={"kind": kind, "user_id": user_id, "error_type": type(error).__name__}
        )


def language_or_blank(language: str | None) -> str:
    """A code from settings.LANGUAGES ("es-mx" -> "es"), or "" for one the site does not offer."""
    offered = {code for code, _ in settings.LANGUAGES}
    language = (language or "").lower()
    if language in offered:
        return language
    base = language.split("-")[0]
    return base if base in offered else ""


def user_set_language(*, user: User, language: str) -> str:
    """Keep the person's language (a code from settings.LANGUAGES); returns what was stored."""
    language = language_or_blank(language)
    if language and language != user.language:
        user.language = language
        user.save(update_fields=["language"])
    return language


def country_or_blank(country: str | None) -> str:
    """An ISO 3166-1 alpha-2 code in capitals ("es" -> "ES"), or "" for anything else."""
    country = (country or "").strip().upper()
    return country if len(country) == 2 and country.isascii() and country.isalpha() else ""


def user_set_country(*, user: User, country: str) -> str:
    """Keep the country whose helplines the person is shown; "" forgets it. Returns what was stored."""
    country = country_or_blank(country)
    if country != user.country:
        user.country = country
        user.save(update_fields=["country"])
    return country


def user_remember_units(*, user: User, units: dict[str, str]) -> None:
    """Keep the units a person typed their measurements in, to offer them first next time."""
    if units and units != user.preferred_units:
        user.preferred_units = units
        user.save(update_fields=["preferred_units"])


def user_tokens_revoke(*, user: User) -> int:
    """Blacklist every refresh token issued to the user (after a password change or reset); returns how many."""
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


def password_reset_email_send(*, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """Send the reset link to an active account with a password; False when there is none (nothing to say).

    The e-mail is Django's own (its templates, its token); the token is made at sending time, so a retried send
    carries a link that is valid when it arrives. Raises what the mail server raises, for the task to retry.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
        body = render_to_string("registration/password_reset_email.html", context)
    # Not PasswordResetForm.send_mail: it logs a failed send and carries on, which is how reset mails were lost.
    EmailMultiAlternatives(subject, body, None, [user.email]).send()
    metrics.EMAILS.labels(kind="password_reset", outcome="sent").inc()
    return True


# The e-mails a sign-up sends: "welcome" to a new account, "signup_existing" to the owner of an address someone
# tried to sign up with again. Templates: accounts/email/<kind>_subject.txt and accounts/email/<kind>.txt.
SIGN_UP_EMAIL_KINDS = ("welcome", "signup_existing")


def sign_up_email_send(*, kind: str, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """Send a sign-up e-mail to an active account; False when there is none (deleted or deactivated meanwhile).

    In the account's own language when it has one (the owner of a taken address may not read the language the
    sign-up was made in). Raises what the mail server raises, for the task to retry.
    """
    if kind not in SIGN_UP_EMAIL_KINDS:
        raise ValueError(f"unknown sign-up e-mail {kind!r}")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {"email": user.email, "domain": domain, "protocol": "https" if use_https else "http"}
    with translation.override(user.language or language or settings.LANGUAGE_CODE):
        subject = "".join(render_to_string(f"accounts/email/{kind}_subject.txt", context).splitlines())
        body = render_to_string(f"accounts/email/{kind}.txt", context)
    EmailMultiAlternatives(subject, body, None, [user.email]).send()
    metrics.EMAILS.labels(kind=kind, outcome="sent").inc()
    return True
