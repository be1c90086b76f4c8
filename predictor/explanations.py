"""Turn per-question log-odds contributions into sentences a person can read.

The numbers come straight from the model's own decomposition (see `predictor.scorers`); this module only picks
the largest ones and words them. It never changes a contribution's sign or size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from predictor.features import FACTOR_GROUPS, GROUP_QUESTIONS, body_mass_index
from predictor.schema import QUESTIONS_BY_KEY, income_to_poverty_ratio

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
        return f"Sleeping under 6 hours ({_hours(hours)})"
    if hours > 9:
        return f"Sleeping more than 9 hours ({_hours(hours)})"
    return f"Sleeping {_hours(hours)} a night"


def _household(answers: dict[str, Any]) -> str:
    size = answers["household_size"]
    return "Living alone" if size == 1 else f"Living in a household of {size}"


def _income(answers: dict[str, Any]) -> str:
    ratio = income_to_poverty_ratio(
        annual_household_income=answers["annual_household_income"], household_size=answers["household_size"]
    )
    if ratio < 1:
        return "A household income below the poverty line"
    if ratio >= 5:
        return "A household income five or more times the poverty line"
    return f"A household income {ratio:.1f} times the poverty line"


def _alcohol(answers: dict[str, Any]) -> str:
    drinks = answers["alcohol_drinks_per_day"]
    if drinks == 0:
        return "Not drinking alcohol"
    return f"Having {QUESTIONS_BY_KEY['alcohol_drinks_per_day'].quantity(drinks)} on a drinking day"


def _conditions(answers: dict[str, Any]) -> str:
    selected = answers["conditions"]
    if not selected:
        return "Having none of the listed long-term conditions"
    labels = [_label("conditions", value) for value in selected]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"Having been told you have {listed}"


def _bmi(answers: dict[str, Any]) -> str:
    bmi = body_mass_index(height_cm=answers["height_cm"], weight_kg=answers["weight_kg"])
    return f"Your body-mass index of {bmi:.0f}"


PHRASES: dict[str, Callable[[dict[str, Any]], str]] = {
    "age": lambda a: f"Being {a['age']} years old",
    "sex": lambda a: f"Being {a['sex']}",
    "education": lambda a: f"Your education ({_label('education', a['education'])})",
    "marital_status": lambda a: f"Your marital status ({_label('marital_status', a['marital_status'])})",
    "household_size": _household,
    "annual_household_income": _income,
    "employment": lambda a: f"Your work situation ({_label('employment', a['employment'])})",
    "smoking": lambda a: {"never": "Never having smoked", "former": "Having stopped smoking", "current": "Smoking now"}[
        a["smoking"]
    ],
    "alcohol_drinks_per_day": _alcohol,
    "physical_activity": lambda a: {
        "vigorous": "Doing vigorous exercise",
        "moderate": "Doing moderate exercise",
        "none": "Not doing sports or fitness activities",
    }[a["physical_activity"]],
    "sitting_hours": lambda a: f"Sitting about {_hours(a['sitting_hours'])} a day",
    "diet_quality": lambda a: f"Rating your diet as {_label('diet_quality', a['diet_quality'])}",
    "sleep_hours": _sleep,
    "sleep_trouble_told_doctor": lambda a: (
        "Having told a doctor about trouble sleeping"
        if a["sleep_trouble_told_doctor"] == "yes"
        else "Not having told a doctor about trouble sleeping"
    ),
    "bmi": _bmi,
    "conditions": _conditions,
    "general_health": lambda a: f"Rating your general health as {_label('general_health', a['general_health'])}",
    "mental_health_visit": lambda a: (
        "Having seen a mental-health professional in the past year"
        if a["mental_health_visit"] == "yes"
        else "Not having seen a mental-health professional in the past year"
    ),
}
TOPICS = {
    "age": "your age",
    "sex": "your sex",
    "education": "your education",
    "marital_status": "your marital status",
    "household_size": "your household size",
    "annual_household_income": "your household income and size",
    "employment": "your work situation",
    "smoking": "smoking",
    "alcohol_drinks_per_day": "alcohol",
    "physical_activity": "physical activity",
    "sitting_hours": "time spent sitting",
    "diet_quality": "your diet",
    "sleep_hours": "your sleep hours",
    "sleep_trouble_told_doctor": "trouble sleeping",
    "bmi": "your height and weight",
    "conditions": "long-term conditions",
    "general_health": "your general health",
    "mental_health_visit": "mental-health visits",
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
            "text": f"You left the question about {TOPICS[group]} unanswered. The estimate averages over the "
            "answers that people like you gave, so leaving it out neither raised nor lowered your estimate.",
        }
        for index, group in enumerate(FACTOR_GROUPS)
        if skipped[index]
    ]


def factor_text(group: str, answers: dict[str, Any], *, raises: bool) -> str:
    verb = "raised" if raises else "lowered"
    if _answered(group, answers):
        return f"{PHRASES[group](answers)} {verb} your estimate."
    return f"Leaving the question about {TOPICS[group]} unanswered {verb} your estimate."


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
