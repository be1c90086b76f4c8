import logging
from collections.abc import Callable
from smtplib import SMTPException

from celery import Task, shared_task

from accounts import metrics
from accounts.services import password_reset_email_send, sign_up_email_send

logger = logging.getLogger(__name__)

# About 17 minutes of tries in all (10 s, 20 s, ... 160 s apart) before the mail is counted as failed.
RESET_RETRIES = 5
SIGN_UP_RETRIES = RESET_RETRIES


@shared_task(bind=True, max_retries=RESET_RETRIES, acks_late=True)
def send_password_reset(self, *, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """The reset e-mail, sent outside the request; retried while the mail server is unreachable, then counted.

    Only the person's id travels through the broker: the link's token is made here, when the mail is sent.
    """
    return _send_retried(
        self,
        kind="password_reset",
        user_id=user_id,
        send=lambda: password_reset_email_send(user_id=user_id, domain=domain, use_https=use_https, language=language),
    )


@shared_task(bind=True, max_retries=SIGN_UP_RETRIES, acks_late=True)
def send_sign_up_email(self, *, kind: str, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """A sign-up's e-mail ("welcome" or "signup_existing"), queued once the sign-up commits; retried and counted
    like the reset e-mail. Only the account's id travels through the broker, never the address."""
    return _send_retried(
        self,
        kind=kind,
        user_id=user_id,
        send=lambda: sign_up_email_send(
            kind=kind, user_id=user_id, domain=domain, use_https=use_https, language=language
        ),
    )


def _send_retried(task: Task, *, kind: str, user_id: int, send: Callable[[], bool]) -> bool:
    try:
        return send()
    except (SMTPException, OSError) as error:
        if task.request.retries >= task.max_retries:
            metrics.EMAILS.labels(kind=kind, outcome="failed").inc()
            logger.error(
                f"{kind.replace('_', ' ')} e-mail not sent",
                extra={"user_id": user_id, "error_type": type(error).__name__, "tries": task.request.retries + 1},
            )
            return False
        metrics.EMAILS.labels(kind=kind, outcome="retried").inc()
        raise task.retry(exc=error, countdown=10 * 2**task.request.retries) from error
