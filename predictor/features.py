"""Model features derived from the questionnaire, shared by the dataset builder, training and scoring.

A feature belongs to one *factor group*; explanations are summed per group so a person reads one sentence per
question (the groups are the question keys, except `bmi`, which stands for height and weight, and
`annual_household_income`, which carries the income-to-poverty ratio computed with the household size).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Literal

import numpy as np
import pandas as pd

from predictor.schema import (
    CONDITION_KEYS,
    INCOME_TO_POVERTY_CAP,
    POVERTY_GUIDELINE_EACH_ADDITIONAL_USD,
    POVERTY_GUIDELINE_FIRST_PERSON_USD,
    QUESTIONS_BY_KEY,
)

FeatureKind = Literal["numeric", "categorical", "binary"]


@dataclass(frozen=True)
class Feature:
    key: str
    kind: FeatureKind
    group: str
    # Values outside this range are clipped: the survey top-codes them (age 80, household 7, …).
    clip: tuple[float, float] | None = None


FEATURES: tuple[Feature, ...] = (
    Feature("age", "numeric", "age", clip=(18, 80)),
    Feature("sex", "categorical", "sex"),
    Feature("education", "categorical", "education"),
    Feature("marital_status", "categorical", "marital_status"),
    Feature("household_size", "numeric", "household_size", clip=(1, 7)),
    Feature("income_poverty_ratio", "numeric", "annual_household_income", clip=(0, 5)),
    Feature("employment", "categorical", "employment"),
    Feature("smoking", "categorical", "smoking"),
    Feature("alcohol_drinks_per_day", "numeric", "alcohol_drinks_per_day", clip=(0, 15)),
    Feature("physical_activity", "categorical", "physical_activity"),
    Feature("sitting_hours", "numeric", "sitting_hours", clip=(0, 20)),
    Feature("diet_quality", "categorical", "diet_quality"),
    Feature("sleep_hours", "numeric", "sleep_hours", clip=(2, 14)),
    Feature("sleep_trouble_told_doctor", "categorical", "sleep_trouble_told_doctor"),
    Feature("bmi", "numeric", "bmi", clip=(12, 80)),
    *(Feature(f"condition_{key}", "binary", "conditions") for key in CONDITION_KEYS),
    Feature("general_health", "categorical", "general_health"),
    Feature("mental_health_visit", "categorical", "mental_health_visit"),
)
FEATURE_KEYS: tuple[str, ...] = tuple(feature.key for feature in FEATURES)
NUMERIC_FEATURES = tuple(f.key for f in FEATURES if f.kind == "numeric")
CATEGORICAL_FEATURES = tuple(f.key for f in FEATURES if f.kind == "categorical")
BINARY_FEATURES = tuple(f.key for f in FEATURES if f.kind == "binary")
FACTOR_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(feature.group for feature in FEATURES))
GROUP_OF_FEATURE: dict[str, str] = {feature.key: feature.group for feature in FEATURES}

# Which questions each factor group stands for (shown beside a factor).
GROUP_QUESTIONS: dict[str, tuple[str, ...]] = {
    group: (group,) for group in FACTOR_GROUPS if group in QUESTIONS_BY_KEY
} | {
    "bmi": ("height_cm", "weight_kg"),
    "annual_household_income": ("annual_household_income", "household_size"),
}

CATEGORIES: dict[str, tuple[str, ...]] = {
    key: tuple(value for value, _ in QUESTIONS_BY_KEY[key].choices) for key in CATEGORICAL_FEATURES
}


def clip_features(frame: pd.DataFrame) -> pd.DataFrame:
    for feature in FEATURES:
        if feature.clip is not None:
            frame[feature.key] = frame[feature.key].clip(*feature.clip)
    return frame


def body_mass_index(*, height_cm: float | None, weight_kg: float | None) -> float | None:
    if height_cm is None or weight_kg is None:
        return None
    return weight_kg / (height_cm / 100) ** 2


def answers_to_columns(answers_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Model inputs for cleaned answers, one NumPy array per feature (the scoring fast path: no DataFrame).

    Same values and dtypes as `normalise_frame`: float64 with NaN for numbers, object arrays of strings with NaN
    for categories. Unanswered questions become NaN.
    """

    def numbers(key: str) -> np.ndarray:
        return np.array([answers.get(key) for answers in answers_list], dtype=np.float64)  # None -> NaN

    columns: dict[str, np.ndarray] = {
        key: numbers(key) for key in ("age", "household_size", "alcohol_drinks_per_day", "sitting_hours", "sleep_hours")
    }
    # The ratio needs both answers (NHANES asks them together); same formula as schema.income_to_poverty_ratio.
    household = columns["household_size"]
    guideline = POVERTY_GUIDELINE_FIRST_PERSON_USD + POVERTY_GUIDELINE_EACH_ADDITIONAL_USD * (
        np.maximum(household, 1) - 1
    )
    ratio = numbers("annual_household_income") / guideline
    columns["income_poverty_ratio"] = np.round(np.minimum(ratio, INCOME_TO_POVERTY_CAP), 2)
    columns["bmi"] = numbers("weight_kg") / (numbers("height_cm") / 100) ** 2
    for key in CATEGORICAL_FEATURES:
        values = [answers.get(key) for answers in answers_list]
        columns[key] = np.array([np.nan if value is None else value for value in values], dtype=object)
    conditions = [answers.get("conditions") for answers in answers_list]
    for key in CONDITION_KEYS:
        columns[f"condition_{key}"] = np.array(
            [np.nan if selected is None else float(key in selected) for selected in conditions], dtype=np.float64
        )
    for feature in FEATURES:
        if feature.clip is not None:
            np.clip(columns[feature.key], *feature.clip, out=columns[feature.key])
    return {key: columns[key] for key in FEATURE_KEYS}


def answers_to_frame(answers_list: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(answers_to_columns(answers_list), columns=list(FEATURE_KEYS))


def normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Same dtypes for training and scoring: floats for numbers, object strings (or NaN) for categories."""
    frame = frame.loc[:, list(FEATURE_KEYS)].copy()
    for key in NUMERIC_FEATURES + BINARY_FEATURES:
        frame[key] = pd.to_numeric(frame[key], errors="coerce").astype("float64")
    for key in CATEGORICAL_FEATURES:
        frame[key] = frame[key].astype("object").where(frame[key].notna(), np.nan)
    return clip_features(frame)


# Up to this many rows a Python pass over a column beats NumPy's element-wise object comparisons and pd.isna,
# whose fixed cost per call dominates scoring one person (a few dozen calls per person).
SMALL_COLUMN = 64


def isna_objects(values: np.ndarray) -> np.ndarray:
    """`pd.isna` of an object column (True for None and NaN), without its per-call cost on short columns."""
    if len(values) > SMALL_COLUMN:
        return pd.isna(values)
    return np.fromiter((value is None or value != value for value in values), dtype=bool, count=len(values))


def lookup_codes(values: np.ndarray, index: Mapping[str, int], *, missing: int, unknown: int) -> np.ndarray:
    """The position in `index` of each value of an object column: `missing` where pd.isna holds (None, NaN),
    `unknown` for any other value `index` does not hold. The same as comparing the column with each value, in one
    dictionary look-up per value."""
    values = np.asarray(values, dtype=object)
    codes = np.fromiter(map(index.get, values, repeat(unknown)), dtype=np.int64, count=len(values))
    if missing != unknown and (unmatched := codes == unknown).any():
        for row in np.flatnonzero(unmatched):
            value = values[row]
            if value is None or value != value:
                codes[row] = missing
    return codes


CATEGORY_INDEX: dict[str, dict[str, int]] = {
    key: {value: i for i, value in enumerate(values)} for key, values in CATEGORIES.items()
}


def category_codes(key: str, values: np.ndarray) -> np.ndarray:
    """Index of each answer in CATEGORIES[key]; -1 where unanswered (NaN, None), -2 for a value not among them."""
    return lookup_codes(values, CATEGORY_INDEX[key], missing=-1, unknown=-2)


def tree_columns() -> list[tuple[str, str]]:
    """(column name, factor group) of the matrix the tree models read, in order."""
    columns: list[tuple[str, str]] = []
    for feature in FEATURES:
        if feature.kind == "categorical":
            columns += [(f"{feature.key}={value}", feature.group) for value in CATEGORIES[feature.key]]
        else:
            columns.append((feature.key, feature.group))
    return columns


def tree_matrix(frame: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
    """Numbers as they are, each category as a 0/1 column; an unanswered question leaves NaN in all its columns
    so the trees route it down their learned default branch instead of pretending it is a value."""
    n = len(frame[FEATURES[0].key])
    matrix = np.empty((n, _TREE_WIDTH), dtype=np.float32)
    for feature, start in zip(FEATURES, _TREE_OFFSETS, strict=True):
        values = np.asarray(frame[feature.key])
        if feature.kind == "categorical":
            width = len(CATEGORIES[feature.key])
            codes = category_codes(feature.key, values)
            block = matrix[:, start : start + width]
            np.equal(codes[:, None], _POSITIONS[:width], out=block, casting="unsafe")
            block[codes == -1] = np.nan
        else:
            matrix[:, start] = values.astype("float32")
    return matrix


# Where each feature's columns start in `tree_matrix`.
_TREE_OFFSETS = tuple(
    np.cumsum([0] + [len(CATEGORIES[f.key]) if f.kind == "categorical" else 1 for f in FEATURES])[:-1].tolist()
)
_TREE_WIDTH = len(tree_columns())
_POSITIONS = np.arange(max(len(values) for values in CATEGORIES.values()))


class Inputs(dict):
    """Model columns (as `answers_to_columns` gives them) that keep the matrices scorers compute from them, so each is
    computed once per call: an ensemble's forest and XGBoost read the same tree matrix, and the logistic model
    and the range's spread read the same transformed rows. Nothing may change the columns once scored."""

    def tree_matrix(self) -> np.ndarray:
        matrix = self.__dict__.get("_tree")
        if matrix is None:
            matrix = self.__dict__["_tree"] = tree_matrix(self)
        return matrix

    def transformed(self, transform: Any) -> np.ndarray:
        """`transform.transform(self)`, once per transform."""
        done: list[tuple[Any, np.ndarray]] = self.__dict__.setdefault("_transformed", [])
        for seen, matrix in done:
            if seen is transform:
                return matrix
        matrix = transform.transform(self)
        done.append((transform, matrix))
        return matrix


def tree_matrix_of(columns: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
    return columns.tree_matrix() if isinstance(columns, Inputs) else tree_matrix(columns)


def transformed_by(transform: Any, columns: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
    return columns.transformed(transform) if isinstance(columns, Inputs) else transform.transform(columns)
