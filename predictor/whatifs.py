"""What would change the estimate: the same model's estimate with one modifiable answer moved to a healthier value.

Only habits a person can change are offered (`MODIFIABLE`): sleep, physical activity, sitting, smoking, alcohol,
diet and body-mass index. Age, sex, income, education, household, work, conditions, general health and visits
are never varied. Each alternative is scored by the same model, all of a batch's alternatives in one vectorised
call without explanations beside the call for the people's own answers (`predictor.services.predict_with_what_ifs`,
`screening.services`), so its number is the model's own output for the changed answers. The figures describe an
association in survey data, not what changing a habit would do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from predictor.features import body_mass_index
from predictor.schema import QUESTIONS_BY_KEY, format_number, stored_language_active

HEALTHY_SLEEP = (7, 9)
SITTING_ABOVE, SITTING_TO = 8, 6
DRINKS_ABOVE, DRINKS_TO = 1, 1
BMI_HIGH_FROM, BMI_HIGH_TO = 27.0, 25.0
BMI_LOW_BELOW, BMI_LOW_TO = 18.5, 20.0


@dataclass(frozen=True)
class WhatIf:
    key: str
    answers: dict[str, Any]
    instead: str  # "who sleep 7 hours a night", read after "People with your answers but" (stored in English)


def _hours(value: float) -> str:
    return QUESTIONS_BY_KEY["sleep_hours"].quantity(value)


def _sleep(answers: dict[str, Any]) -> tuple[dict, str] | None:
    hours = answers.get("sleep_hours")
    if hours is None or HEALTHY_SLEEP[0] <= hours <= HEALTHY_SLEEP[1]:
        return None
    to = HEALTHY_SLEEP[0] if hours < HEALTHY_SLEEP[0] else 8
    return {"sleep_hours": to}, _("who sleep %(hours)s a night") % {"hours": _hours(to)}


def _activity(answers: dict[str, Any]) -> tuple[dict, str] | None:
    if answers.get("physical_activity") != "none":
        return None
    return {"physical_activity": "moderate"}, _("who do some moderate activity, like brisk walking, each week")


def _sitting(answers: dict[str, Any]) -> tuple[dict, str] | None:
    hours = answers.get("sitting_hours")
    if hours is None or hours <= SITTING_ABOVE:
        return None
    return {"sitting_hours": SITTING_TO}, _("who sit about %(hours)s a day") % {"hours": _hours(SITTING_TO)}


def _smoking(answers: dict[str, Any]) -> tuple[dict, str] | None:
    if answers.get("smoking") != "current":
        return None
    return {"smoking": "former"}, _("who have stopped smoking")


def _alcohol(answers: dict[str, Any]) -> tuple[dict, str] | None:
    drinks = answers.get("alcohol_drinks_per_day")
    if drinks is None or drinks <= DRINKS_ABOVE:
        return None
    unit = QUESTIONS_BY_KEY["alcohol_drinks_per_day"].quantity(DRINKS_TO)
    return {"alcohol_drinks_per_day": DRINKS_TO}, _("who have %(drinks)s on a drinking day") % {"drinks": unit}


def _diet(answers: dict[str, Any]) -> tuple[dict, str] | None:
    if answers.get("diet_quality") not in ("fair", "poor"):
        return None
    return {"diet_quality": "good"}, _("who describe their diet as good")


def _bmi(answers: dict[str, Any]) -> tuple[dict, str] | None:
    height, weight = answers.get("height_cm"), answers.get("weight_kg")
    bmi = body_mass_index(height_cm=height, weight_kg=weight)
    if bmi is None:
        return None
    if bmi >= BMI_HIGH_FROM:
        target = BMI_HIGH_TO
    elif bmi < BMI_LOW_BELOW:
        target = BMI_LOW_TO
    else:
        return None
    changed = {"weight_kg": round(target * (height / 100) ** 2, 1)}
    return changed, _("with a body-mass index of %(bmi)s") % {"bmi": format_number(round(target))}


ALTERNATIVES: dict[str, Callable[[dict[str, Any]], tuple[dict, str] | None]] = {
    "sleep_hours": _sleep,
    "physical_activity": _activity,
    "sitting_hours": _sitting,
    "smoking": _smoking,
    "alcohol_drinks_per_day": _alcohol,
    "diet_quality": _diet,
    "bmi": _bmi,
}
# The answers a what-if may change; "bmi" moves weight_kg at the same height.
MODIFIABLE = tuple(ALTERNATIVES)


def what_if_answers(answers: dict[str, Any]) -> list[WhatIf]:
    """For cleaned answers: each modifiable answer that is not already in the healthier range, moved into it,
    every other answer kept as it was."""
    found = []
    for key, alternative in ALTERNATIVES.items():
        change = alternative(answers)
        if change is not None:
            changed, instead = change
            found.append(WhatIf(key=key, answers={**answers, **changed}, instead=instead))
    return found


def what_if_results(what_ifs: list[WhatIf], predictions: list[Any]) -> list[dict[str, Any]]:
    """What is stored with a result: each what-if with the model's probability for its answers."""
    return [
        {"key": w.key, "instead": w.instead, "probability": p.probability, "changed": _changed(w)}
        for w, p in zip(what_ifs, predictions, strict=True)
    ]


def _changed(what_if: WhatIf) -> dict[str, Any]:
    keys = ("weight_kg",) if what_if.key == "bmi" else (what_if.key,)
    return {key: what_if.answers[key] for key in keys}


def instead_in_words(key: str, answers: dict[str, Any]) -> str | None:
    """A stored what-if's change in the active language, worded again from the person's answers (the change is a
    function of them), or None when it no longer applies to them or the stored English is the language."""
    if stored_language_active():
        return None
    alternative = ALTERNATIVES.get(key)
    change = alternative(answers) if alternative is not None and answers else None
    return change[1] if change is not None else None
