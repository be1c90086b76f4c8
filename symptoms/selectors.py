"""Reads of symptom checks: the owner's list and detail, the latest per instrument, and the history chart."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.text import get_text_list
from django.utils.translation import gettext

from symptoms.change import CheckChange, Reading, labels_for
from symptoms.instruments import INSTRUMENTS, PHQ9
from symptoms.models import SymptomCheck

if TYPE_CHECKING:
    from accounts.models import User

# At or above this PHQ-9 total the symptoms, not a life-factor estimate, should guide what to do next.
PHQ9_POSITIVE_SCREEN = 10
CHART_POINTS = 50


def symptom_check_list(*, user: User, instrument: str | None = None) -> QuerySet[SymptomCheck]:
    checks = SymptomCheck.objects.filter(owner=user)
    if instrument:
        checks = checks.filter(instrument=instrument)
    return checks.order_by("-created_at")


def symptom_check_get(*, user: User, check_id) -> SymptomCheck:
    """The owner's check; anyone else gets 404, never 403, so ids reveal nothing."""
    return get_object_or_404(SymptomCheck, id=check_id, owner=user)


def symptom_latest(*, user: User) -> dict[str, SymptomCheck]:
    """The newest check of each instrument the person has answered, keyed by instrument."""
    latest = {}
    for key in INSTRUMENTS:
        check = symptom_check_list(user=user, instrument=key).first()
        if check is not None:
            latest[key] = check
    return latest


def symptom_safety_active(*, user: User) -> bool:
    """Whether the person's latest PHQ-9 had item 9 above 0: while it does, every page that follows (a risk
    result, the history, the summary) puts the crisis lines first (docs/symptoms.md#the-safety-path). One query."""
    latest = symptom_check_list(user=user, instrument=PHQ9.key).only("id", "safety_flag").first()
    return bool(latest is not None and latest.safety_flag)


def symptom_invitation(*, user: User) -> dict[str, Any]:
    """What a life-factor result says about symptoms: an invitation to the PHQ-9, and the latest PHQ-9 if any."""
    latest = symptom_check_list(user=user, instrument=PHQ9.key).first()
    return {
        "instrument": PHQ9,
        "latest": latest,
        "latest_positive": latest is not None and latest.total >= PHQ9_POSITIVE_SCREEN,
    }


def symptom_trend(*, user: User, instrument: str, limit: int = 6) -> list[SymptomCheck]:
    """The last few checks of one instrument, oldest first, for the clinician summary's trend line."""
    return list(symptom_check_list(user=user, instrument=instrument)[:limit])[::-1]


# --- Change over time: every later check labelled by the rules in symptoms.change (computed, never stored). ---


def symptom_changes(*, user: User) -> dict[Any, CheckChange]:
    """Each of the person's checks, keyed by id, with its labels against the check before and the first one.

    Computed from the stored totals on every read, so a rule set added or corrected applies to every check at once.
    One query; the totals are decrypted in Python (they are encrypted at rest).
    """
    checks = SymptomCheck.objects.filter(owner=user).only("id", "instrument", "total", "created_at")
    return labels_for([Reading(c.instrument, c.total, c.created_at, c.id) for c in checks])


def symptom_change(*, user: User, check: SymptomCheck) -> CheckChange | None:
    """One check's labels (None for a questionnaire's first check)."""
    change = symptom_changes(user=user).get(check.id)
    return change if change is not None and change.baseline is not None else None


def symptom_change_rows(
    *, user: User, limit: int = 20, changes: dict[Any, CheckChange] | None = None
) -> list[dict[str, Any]]:
    """The newest `limit` checks, newest first, each with its labels (None for a questionnaire's first check);
    `changes` from symptom_changes when the caller has them already."""
    changes = symptom_changes(user=user) if changes is None else changes
    checks = symptom_check_list(user=user).only("id", "instrument", "total", "band", "created_at")[:limit]
    return [{"check": check, "change": changes.get(check.id)} for check in checks]


ITEM_TREND_CHECKS = 8
SUMMARY_TREND_CHECKS = 6  # what fits the clinician summary's one printed page (own and shared)


def symptom_item_trend(
    *, user: User, limit: int = ITEM_TREND_CHECKS, changes: dict[Any, CheckChange] | None = None
) -> dict[str, Any] | None:
    """The PHQ-9's nine items over the last `limit` checks (one row per check, oldest first), each row with its
    labels since the first PHQ-9, and every check whose item 9 (thoughts of self-harm) was above 0 marked; None
    before the first PHQ-9."""
    checks = list(
        symptom_check_list(user=user, instrument=PHQ9.key).only("id", "answers", "total", "band", "created_at")[:limit]
    )
    if not checks:
        return None
    checks.reverse()
    changes = symptom_changes(user=user) if changes is None else changes
    instrument = PHQ9.localized()
    safety = instrument.safety_items[0]
    rows = []
    for check in checks:
        values = [check.answers.get(item.key) for item in instrument.items]
        rows.append(
            {
                "check": check,
                "cells": [
                    {"value": value, "flagged": item.safety and (value or 0) > 0}
                    for item, value in zip(instrument.items, values, strict=True)
                ],
                "flagged": (check.answers.get(safety.key) or 0) > 0,
                "change": changes.get(check.id),
            }
        )
    return {
        "instrument": instrument,
        "rows": rows,
        "flagged_count": sum(row["flagged"] for row in rows),
        "safety_item": safety,
        "first": checks[0],
    }


def summary_rows(*, user: User, changes: dict[Any, CheckChange] | None = None) -> list[dict[str, Any]]:
    """The latest check of each instrument with its answers, difficulty and trend, worded in the active language.

    One row per instrument, the one place a row's contents are decided for the own summary (screening.views.summary)
    and the shared one (sharing): a change label (issue 23's rules) is added to each row here.
    """
    latest = symptom_latest(user=user)
    changes = symptom_changes(user=user) if changes is None else changes
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
                "trend": [
                    {"check": earlier, "change": changes.get(earlier.id)}
                    for earlier in (symptom_trend(user=user, instrument=key) if check else [])
                ],
                "change": changes.get(check.id) if check else None,
            }
        )
    return rows


# --- The symptom chart on the history page: a server-rendered SVG; one series per instrument, never joined. ---

CHART_WIDTH, CHART_HEIGHT = 520, 260
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 56, 504, 18, 210
SCALE_MAX = max(instrument.max_total for instrument in INSTRUMENTS.values())


def _y(total: int) -> float:
    return round(PLOT_BOTTOM - total / SCALE_MAX * (PLOT_BOTTOM - PLOT_TOP), 1)


def _x(when: datetime, first: datetime, last: datetime) -> float:
    span = (last - first).total_seconds()
    if span <= 0:
        return round((PLOT_LEFT + PLOT_RIGHT) / 2, 1)
    return round(PLOT_LEFT + (when - first).total_seconds() / span * (PLOT_RIGHT - PLOT_LEFT), 1)


def symptom_chart(*, user: User) -> dict[str, Any] | None:
    """PHQ-9 and GAD-7 totals on one time axis, each its own line, with the band cut-offs as lines."""
    checks = list(symptom_check_list(user=user).only("id", "instrument", "total", "band", "created_at")[:CHART_POINTS])
    if not checks:
        return None
    checks.reverse()
    first, last = checks[0].created_at, checks[-1].created_at
    series = []
    names = []
    for key, instrument in INSTRUMENTS.items():
        points = [
            {
                "x": _x(check.created_at, first, last),
                "y": _y(check.total),
                "check": check,
                "band_label": instrument.band(check.band).label,
            }
            for check in checks
            if check.instrument == key
        ]
        if points:
            names.append(str(instrument.name))
            series.append(
                {
                    "instrument": instrument,
                    "points": points,
                    "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
                    "latest": points[-1],
                }
            )
    cutoffs = sorted({band.low for instrument in INSTRUMENTS.values() for band in instrument.bands if band.low})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "series": series,
        "grid": [{"y": _y(v), "label": str(v)} for v in (0, SCALE_MAX)],
        "cutoffs": [{"y": _y(v), "label": str(v)} for v in cutoffs],
        # Lists in words, with the active language's "and": "PHQ-9 and GAD-7", "5, 10 and 15".
        "series_names": get_text_list(names, gettext("and")),
        "cutoff_list": get_text_list([str(v) for v in cutoffs], gettext("and")),
        "first": first,
        "last": last,
        "count": len(checks),
        "label_y": CHART_HEIGHT - 14,
    }
