from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.http import Http404

from screening import waiting
from screening.models import Screening

if TYPE_CHECKING:
    from accounts.models import User


def screening_list(*, user: User) -> QuerySet[Screening]:
    return Screening.objects.filter(owner=user).order_by("-created_at")


def screening_previous_done(*, screening: Screening) -> Screening | None:
    """The same person's latest finished screening before this one: what "what moved my estimate" compares with."""
    return (
        Screening.objects.filter(
            owner_id=screening.owner_id, status=Screening.Status.DONE, created_at__lt=screening.created_at
        )
        .order_by("-created_at")
        .only("id", "created_at", "model_key", "model_version", "answers", "probability")
        .first()
    )


def screening_get(*, user: User, screening_id) -> Screening:
    """The owner's screening; anyone else gets 404, never 403, so ids reveal nothing."""
    screening = Screening.objects.filter(id=screening_id, owner=user).first()
    if screening is None:
        raise Http404("No screening matches the given query.")
    return screening


def screening_get_awaited(*, user: User, screening_id, wait: float) -> tuple[Screening, bool]:
    """The owner's screening, after waiting up to `wait` seconds for it to finish if it has not.

    Returns (screening, waited): waited is False when it answered at once because every waiting slot of this
    process was taken (screening.waiting), so the caller can say it did not honour the wait.
    """
    if wait <= 0:
        return screening_get(user=user, screening_id=screening_id), False
    with waiting.waiter(screening_id) as waiter:
        if waiter is None:
            return screening_get(user=user, screening_id=screening_id), False
        # Registered first, then read; only the status, so a screening still being scored is read whole (its
        # answers decrypted) once, after the wait, not once before it and once after.
        status = Screening.objects.filter(id=screening_id, owner=user).values_list("status", flat=True).first()
        if status is None:
            raise Http404("No screening matches the given query.")
        if status not in Screening.FINISHED_STATUSES:
            waiter.wait(wait)
        return screening_get(user=user, screening_id=screening_id), True
