from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from screening.models import Screening

if TYPE_CHECKING:
    from accounts.models import User


def screening_list(*, user: User) -> QuerySet[Screening]:
    return Screening.objects.filter(owner=user).order_by("-created_at")


def screening_get(*, user: User, screening_id) -> Screening:
    """The owner's screening; anyone else gets 404, never 403, so ids reveal nothing."""
    return get_object_or_404(Screening, id=screening_id, owner=user)
