from celery import shared_task

from screening.scoring import TRANSIENT_DATABASE_ERRORS
from screening.services import (
    screening_reclaim_abandoned,
    screening_requeue_unpublished,
    screening_score,
    screening_sweep_stuck,
)


@shared_task(bind=True, acks_late=True, max_retries=5)
def score_screening(self, screening_id: str) -> str | None:
    """Score this screening, and with it whatever else is waiting (SCREENING_BATCH_SIZE, docs/screening.md)."""
    try:
        screening = screening_score(screening_id=screening_id)
    except TRANSIENT_DATABASE_ERRORS as error:
        # The service handed its screenings back to "pending"; if even that failed, the sweep will.
        raise self.retry(exc=error, countdown=min(2**self.request.retries, 30)) from error
    return screening.status if screening else None


@shared_task
def sweep_stuck_screenings() -> dict[str, int]:
    return screening_sweep_stuck()


@shared_task
def reclaim_abandoned_screenings() -> dict[str, int]:
    return screening_reclaim_abandoned()


@shared_task
def requeue_unpublished_screenings() -> int:
    return screening_requeue_unpublished()
