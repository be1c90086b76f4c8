import contextlib

from celery import shared_task
from django.db import DatabaseError

from screening.services import (
    TRANSIENT_DATABASE_ERRORS,
    screening_release_claim,
    screening_score,
    screening_sweep_stuck,
)


@shared_task(bind=True, acks_late=True, max_retries=5)
def score_screening(self, screening_id: str) -> str | None:
    try:
        screening = screening_score(screening_id=screening_id)
    except TRANSIENT_DATABASE_ERRORS as error:
        # Hand the screening back to "pending" so the retry can claim it; if even that fails, the sweep will.
        with contextlib.suppress(DatabaseError):
            screening_release_claim(screening_id=screening_id)
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 30)) from error
    return screening.status if screening else None


@shared_task
def sweep_stuck_screenings() -> dict[str, int]:
    return screening_sweep_stuck()
