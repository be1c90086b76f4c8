"""Which model to suggest for a person's answers: the cheapest one they can pay for, unless a dearer one was
measurably better on the held-out survey cycle for people like them.

Training (`predictor.training.survey.paired_auc_differences`) stores, per group of people the questionnaire can
place someone in (sex, age band, income band), every model's hold-out ROC-AUC minus every other's with a paired
survey-bootstrap 95 % interval. A dearer model is *measurably better for this person* when, in at least one of
their groups, that interval lies above 0 against the cheapest affordable model, and in none of their groups it
lies below 0. Nothing else is inferred: without answers (a new questionnaire) the cheapest model is suggested.

NumPy on the model columns (`features.answers_to_columns`), so serving and training share the rules; the group
descriptions a person reads are translated lazily.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext_lazy as _

# The groups compared: the feature column, and either the value it equals or the [low, high) it falls in. The
# labels are the model card's; `describe` is what the questionnaire tells a person.
GROUP_RULES: tuple[dict[str, Any], ...] = (
    {"label": "sex: female", "feature": "sex", "equals": "female", "describe": _("women")},
    {"label": "sex: male", "feature": "sex", "equals": "male", "describe": _("men")},
    {"label": "age: 18-39", "feature": "age", "low": 18, "high": 40, "describe": _("people aged 18 to 39")},
    {"label": "age: 40-59", "feature": "age", "low": 40, "high": 60, "describe": _("people aged 40 to 59")},
    {"label": "age: 60+", "feature": "age", "low": 60, "high": math.inf, "describe": _("people aged 60 or over")},
    {
        "label": "income: below poverty line",
        "feature": "income_poverty_ratio",
        "low": 0.0,
        "high": 1.0,
        "describe": _("people whose household income is below the poverty line"),
    },
    {
        "label": "income: 1-2 x poverty line",
        "feature": "income_poverty_ratio",
        "low": 1.0,
        "high": 2.0,
        "describe": _("people whose household income is one to two times the poverty line"),
    },
    {
        "label": "income: 2-4 x poverty line",
        "feature": "income_poverty_ratio",
        "low": 2.0,
        "high": 4.0,
        "describe": _("people whose household income is two to four times the poverty line"),
    },
    {
        "label": "income: 4+ x poverty line",
        "feature": "income_poverty_ratio",
        "low": 4.0,
        "high": math.inf,
        "describe": _("people whose household income is four or more times the poverty line"),
    },
)


def group_mask(rule: dict[str, Any], columns: dict[str, np.ndarray]) -> np.ndarray:
    """Who of `columns` (model columns) is in the group `rule` describes; unanswered means not in it."""
    values = columns[rule["feature"]]
    if "equals" in rule:
        return np.array([value == rule["equals"] for value in values], dtype=bool)
    numbers = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return (numbers >= rule["low"]) & (numbers < rule["high"])


@dataclass(frozen=True)
class Suggestion:
    model_key: str
    # The group in which the suggested model was measurably better, in plain words; "" for the cheapest.
    because: str = ""


def suggest(
    *, columns: dict[str, np.ndarray], affordable: Sequence[str], differences: dict[str, Any]
) -> Suggestion | None:
    """The model to pre-select for one person (`columns` holds one row); `affordable` is cheapest first."""
    if not affordable:
        return None
    cheapest = affordable[0]
    groups = [rule for rule in GROUP_RULES if rule["label"] in differences and group_mask(rule, columns)[0]]
    for candidate in affordable[1:]:
        better, worse = None, False
        for rule in groups:
            gap = differences[rule["label"]].get(candidate, {}).get(cheapest)
            if not gap or gap["low"] is None:
                continue
            if gap["low"] > 0 and better is None:
                better = rule
            if gap["high"] < 0:
                worse = True
        if better is not None and not worse:
            return Suggestion(model_key=candidate, because=better["describe"])
    return Suggestion(model_key=cheapest)
