"""Reads for sharing: a person's links and their openings, and the summary a link shows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from screening.models import Screening
from screening.results import estimate_range, in_100_words
from screening.selectors import screening_list
from sharing.models import ShareLink, ShareOpening
from symptoms.instruments import INSTRUMENTS
from symptoms.models import SymptomCheck
from symptoms.selectors import symptom_latest, symptom_trend

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


def summary_rows(*, user: User) -> list[dict[str, Any]]:
    """The latest check of each instrument with its answers, difficulty and trend, worded in the active language.

    One row per instrument, the one place a row's contents are decided: a change label (issue 23's rules) is added
    to each row here and shown by templates/sharing/_summary.html.
    """
    latest = symptom_latest(user=user)
    rows = []
    for key, original in INSTRUMENTS.items():
        instrument = original.localized()
        check: SymptomCheck | None = latest.get(key)
        answers = [(item, instrument.option(check.answers[item.key])) for item in instrument.items] if check else []
        difficulty = None
        if check and instrument.difficulty and check.answers.get(instrument.difficulty.key) is not None:
            difficulty = instrument.difficulty_option(check.answers[instrument.difficulty.key])
        rows.append(
            {
                "instrument": instrument,
                "check": check,
                "rows": answers,
                "difficulty": difficulty,
                "trend": symptom_trend(user=user, instrument=key) if check else [],
            }
        )
    return rows


def latest_estimate(*, user: User) -> Screening | None:
    return screening_list(user=user).filter(status=Screening.Status.DONE).first()


def estimate_list(*, user: User) -> list[Screening]:
    """Every finished life-factor estimate, oldest first, for the FHIR bundle."""
    return list(screening_list(user=user).filter(status=Screening.Status.DONE).order_by("created_at"))


def shared_summary(*, link: ShareLink) -> dict[str, Any]:
    """What a link shows: the owner's symptom summary, and the latest estimate only if the owner chose it."""
    estimate = latest_estimate(user=link.owner) if link.includes_estimates else None
    return {
        "instruments": summary_rows(user=link.owner),
        "estimate": estimate,
        "estimate_words": in_100_words(estimate.probability or 0.0) if estimate else "",
        "estimate_range": estimate_range(low=estimate.interval_low, high=estimate.interval_high) if estimate else None,
    }
