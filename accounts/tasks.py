import logging
from smtplib import SMTPException

from celery import shared_task

from accounts import metrics
from accounts.services import password_reset_email_send

logger = logging.getLogger(__name__)

# About 17 minutes of tries in all (10 s, 20 s, ... 160 s apart) before the mail is counted as failed.
RESET_RETRIES = 5


@shared_task(bind=True, max_retries=RESET_RETRIES, acks_late=True)
def send_password_reset(self, *, user_id: int, domain: str, use_https: bool, language: str) -> bool:
    """The reset e-mail, sent outside the request; retried while the mail server is unreachable, then counted.

    Only the person's id travels through the broker: the link's token is made here, when the mail is sent.
    """
    try:
        return password_reset_email_send(user_id=user_id, domain=domain, use_https=use_https, language=language)
    except (SMTPException, OSError) as error:
        if self.request.retries >= self.max_retries:
            metrics.EMAILS.labels(kind="password_reset", outcome="failed").inc()
            logger.error(
                "password reset e-mail not sent",
                extra={"user_id": user_id, "error_type": type(error).__name__, "tries": self.request.retries + 1},
            )
            return False
        metrics.EMAILS.labels(kind="password_reset", outcome="retried").inc()
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error
