"""Reads for sharing: a person's links and their openings, and the summary a link shows."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from screening.models import Screening
from screening.results import estimate_range, in_100_words
from screening.selectors import screening_list
from sharing.models import ShareLink, ShareOpening
from symptoms.change import rule_sets_in_words
from symptoms.selectors import (
    SUMMARY_TREND_CHECKS,
    summary_rows,
    symptom_changes,
    symptom_check_list,
    symptom_item_trend,
)

if TYPE_CHECKING:
    from accounts.models import User

# The account page lists this many recent openings; the sharing page lists each link's own.
RECENT_OPENINGS = 50


def share_link_list(*, user: User) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(owner=user).prefetch_related(
        Prefetch("openings", queryset=ShareOpening.objects.order_by("-opened_at"))
    )


def share_link_get(*, user: User, link_id: UUID) -> ShareLink:
    """The owner's link; anyone else's is a 404, so ids reveal nothing."""
    return get_object_or_404(share_link_list(user=user), id=link_id)


def share_opening_list(*, user: User) -> QuerySet[ShareOpening]:
    """The latest openings of all of a person's links, for the account page."""
    return ShareOpening.objects.filter(link__owner=user).select_related("link").order_by("-opened_at")[:RECENT_OPENINGS]


def latest_estimate(*, user: User) -> Screening | None:
    return screening_list(user=user).filter(status=Screening.Status.DONE).first()


def estimates(*, user: User) -> QuerySet[Screening]:
    """Every finished life-factor estimate, oldest first, for the FHIR bundle's pages."""
    return screening_list(user=user).filter(status=Screening.Status.DONE).order_by("created_at", "id")


def fhir_file_parts(*, user: User, size: int) -> dict[str, int]:
    """How many files of `size` records the owner's FHIR download takes, without and with the estimates."""
    checks = symptom_check_list(user=user).count()
    with_estimates = checks + estimates(user=user).count()
    return {"checks": max(1, math.ceil(checks / size)), "estimates": max(1, math.ceil(with_estimates / size))}


def shared_summary(*, link: ShareLink) -> dict[str, Any]:
    """What a link shows: the owner's symptom summary, and the latest estimate only if the owner chose it."""
    estimate = latest_estimate(user=link.owner) if link.includes_estimates else None
    changes = symptom_changes(user=link.owner)
    return {
        "instruments": summary_rows(user=link.owner, changes=changes),
        "item_trend": symptom_item_trend(user=link.owner, limit=SUMMARY_TREND_CHECKS, changes=changes),
        "change_rules": rule_sets_in_words(),
        "estimate": estimate,
        "estimate_words": in_100_words(estimate.probability or 0.0) if estimate else "",
        "estimate_range": estimate_range(low=estimate.interval_low, high=estimate.interval_high) if estimate else None,
    }
