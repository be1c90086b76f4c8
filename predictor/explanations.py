"""Turn per-question log-odds contributions into sentences a person can read.

The numbers come straight from the model's own decomposition (see `predictor.scorers`); this module only picks
the largest ones and words them. It never changes a contribution's sign or size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from predictor.features import FACTOR_GROUPS, GROUP_QUESTIONS, body_mass_index
from predictor.schema import QUESTIONS_BY_KEY, format_number, income_to_poverty_ratio, stored_language_active

MAX_FACTORS = 6
# Effects smaller than this (in log-odds, about a 2 % relative change in the odds) are not worth a sentence.
MIN_EFFECT = 0.02


def _label(key: str, value: str) -> str:
    # "Working (including temporarily away from work)" -> "working": the factor sentence already has brackets.
    return QUESTIONS_BY_KEY[key].choice_label(value).split(" (")[0].lower()


def _hours(value: float) -> str:
    return QUESTIONS_BY_KEY["sleep_hours"].quantity(value)


def _sleep(answers: dict[str, Any]) -> str:
    hours = answers["sleep_hours"]
    if hours < 6:
        return _("Sleeping under 6 hours (%(hours)s)") % {"hours": _hours(hours)}
    if hours > 9:
        return _("Sleeping more than 9 hours (%(hours)s)") % {"hours": _hours(hours)}
    return _("Sleeping %(hours)s a night") % {"hours": _hours(hours)}


def _household(answers: dict[str, Any]) -> str:
    size = answers["household_size"]
    if size == 1:
        return _("Living alone")
    return ngettext("Living in a household of %(count)s", "Living in a household of %(count)s", size) % {
        "count": format_number(size)
    }


def _income(answers: dict[str, Any]) -> str:
    ratio = income_to_poverty_ratio(
        annual_household_income=answers["annual_household_income"], household_size=answers["household_size"]
    )
    if ratio < 1:
        return _("A household income below the poverty line")
    if ratio >= 5:
        return _("A household income five or more times the poverty line")
    return _("A household income %(ratio)s times the poverty line") % {
        "ratio": formats.number_format(ratio, decimal_pos=1)
    }


def _alcohol(answers: dict[str, Any]) -> str:
    drinks = answers["alcohol_drinks_per_day"]
    if drinks == 0:
        return _("Not drinking alcohol")
    return _("Having %(drinks)s on a drinking day") % {
        "drinks": QUESTIONS_BY_KEY["alcohol_drinks_per_day"].quantity(drinks)
    }


def _conditions(answers: dict[str, Any]) -> str:
    selected = answers["conditions"]
    if not selected:
        return _("Having none of the listed long-term conditions")
    labels = [_label("conditions", value) for value in selected]
    # "high blood pressure, asthma and diabetes", with the active language's "and".
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " " + _("and") + " " + labels[-1]
    return _("Having been told you have %(conditions)s") % {"conditions": listed}


def _bmi(answers: dict[str, Any]) -> str:
    bmi = body_mass_index(height_cm=answers["height_cm"], weight_kg=answers["weight_kg"])
    return _("Your body-mass index of %(bmi)s") % {"bmi": format_number(round(bmi))}


# Each phrase is the subject of "%(factor)s raised your estimate." (or "lowered").
PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "age": lambda a: ngettext("Being %(age)s years old", "Being %(age)s years old", a["age"]) % {"age": a["age"]},
    "sex": lambda a: {"female": _("Being female"), "male": _("Being male")}[a["sex"]],
    "education": lambda a: _("Your education (%(answer)s)") % {"answer": _label("education", a["education"])},
    "marital_status": lambda a: (
        _("Your marital status (%(answer)s)") % {"answer": _label("marital_status", a["marital_status"])}
    ),
    "household_size": _household,
    "annual_household_income": _income,
    "employment": lambda a: _("Your work situation (%(answer)s)") % {"answer": _label("employment", a["employment"])},
    "smoking": lambda a: {
        "never": _("Never having smoked"),
        "former": _("Having stopped smoking"),
        "current": _("Smoking now"),
    }[a["smoking"]],
    "alcohol_drinks_per_day": _alcohol,
    "physical_activity": lambda a: {
        "vigorous": _("Doing vigorous exercise"),
        "moderate": _("Doing moderate exercise"),
        "none": _("Not doing sports or fitness activities"),
    }[a["physical_activity"]],
    "sitting_hours": lambda a: _("Sitting about %(hours)s a day") % {"hours": _hours(a["sitting_hours"])},
    "diet_quality": lambda a: (
        _("Rating your diet as %(answer)s") % {"answer": _label("diet_quality", a["diet_quality"])}
    ),
    "sleep_hours": _sleep,
    "sleep_trouble_told_doctor": lambda a: (
        _("Having told a doctor about trouble sleeping")
        if a["sleep_trouble_told_doctor"] == "yes"
        else _("Not having told a doctor about trouble sleeping")
    ),
    "bmi": _bmi,
    "conditions": _conditions,
    "general_health": lambda a: (
        _("Rating your general health as %(answer)s") % {"answer": _label("general_health", a["general_health"])}
    ),
    "mental_health_visit": lambda a: (
        _("Having seen a mental-health professional in the past year")
        if a["mental_health_visit"] == "yes"
        else _("Not having seen a mental-health professional in the past year")
    ),
}
# Each topic follows "the question about": "You left the question about %(topic)s unanswered."
TOPICS = {
    "age": pgettext_lazy("the question about", "your age"),
    "sex": pgettext_lazy("the question about", "your sex"),
    "education": pgettext_lazy("the question about", "your education"),
    "marital_status": pgettext_lazy("the question about", "your marital status"),
    "household_size": pgettext_lazy("the question about", "your household size"),
    "annual_household_income": pgettext_lazy("the question about", "your household income and size"),
    "employment": pgettext_lazy("the question about", "your work situation"),
    "smoking": pgettext_lazy("the question about", "smoking"),
    "alcohol_drinks_per_day": pgettext_lazy("the question about", "alcohol"),
    "physical_activity": pgettext_lazy("the question about", "physical activity"),
    "sitting_hours": pgettext_lazy("the question about", "time spent sitting"),
    "diet_quality": pgettext_lazy("the question about", "your diet"),
    "sleep_hours": pgettext_lazy("the question about", "your sleep hours"),
    "sleep_trouble_told_doctor": pgettext_lazy("the question about", "trouble sleeping"),
    "bmi": pgettext_lazy("the question about", "your height and weight"),
    "conditions": pgettext_lazy("the question about", "long-term conditions"),
    "general_health": pgettext_lazy("the question about", "your general health"),
    "mental_health_visit": pgettext_lazy("the question about", "mental-health visits"),
}
assert set(PHRASES) == set(TOPICS) == set(FACTOR_GROUPS), "every factor group needs a phrase and a topic"


def _answered(group: str, answers: dict[str, Any]) -> bool:
    return all(answers.get(key) is not None for key in GROUP_QUESTIONS[group])


def skipped_notes(skipped: np.ndarray) -> list[dict[str, Any]]:
    """One sentence per question left unanswered: it was averaged over, so it did not move the estimate."""
    return [
        {
            "key": group,
            "questions": list(GROUP_QUESTIONS[group]),
            "text": skipped_text(group),
        }
        for index, group in enumerate(FACTOR_GROUPS)
        if skipped[index]
    ]


def skipped_text(group: str) -> str:
    return _(
        "You left the question about %(topic)s unanswered. The estimate averages over the answers that people like "
        "you gave, so leaving it out neither raised nor lowered your estimate."
    ) % {"topic": TOPICS[group]}


def factor_text(group: str, answers: dict[str, Any], *, raises: bool) -> str:
    """The factor as a sentence in the active language; the same words whenever it is asked for, so a stored
    factor (key and direction) is worded again in the reader's language (`factors_in_words`)."""
    if _answered(group, answers):
        factor = PHRASES[group](answers)
        if raises:
            return _("%(factor)s raised your estimate.") % {"factor": factor}
        return _("%(factor)s lowered your estimate.") % {"factor": factor}
    topic = TOPICS[group]
    if raises:
        return _("Leaving the question about %(topic)s unanswered raised your estimate.") % {"topic": topic}
    return _("Leaving the question about %(topic)s unanswered lowered your estimate.") % {"topic": topic}


def factors_in_words(stored: list[dict[str, Any]], answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Stored factors with their text in the active language: the key, direction and order are the model's, as
    stored with the result; only the words are chosen again. In English the stored words are shown as they are."""
    if stored_language_active():
        return stored
    worded = []
    for factor in stored:
        if factor.get("key") in PHRASES and answers:
            factor = {**factor, "text": factor_text(factor["key"], answers, raises=factor.get("direction") == "raises")}
        worded.append(factor)
    return worded


def factors(answers: dict[str, Any], contributions: np.ndarray, *, limit: int = MAX_FACTORS) -> list[dict[str, Any]]:
    """The answers with the largest effects on this estimate, largest first."""
    order = np.argsort(-np.abs(contributions), kind="stable")
    chosen = []
    for index in order[:limit]:
        value = float(contributions[index])
        if abs(value) < MIN_EFFECT:
            break
        group = FACTOR_GROUPS[index]
        chosen.append(
            {
                "key": group,
                "questions": list(GROUP_QUESTIONS[group]),
                "text": factor_text(group, answers, raises=value > 0),
                "direction": "raises" if value > 0 else "lowers",
                "contribution": round(value, 4),
            }
        )
    return chosen
