"""Pattern submodels and the estimate as served: which model scores whom, the prior shift by age, the range.

A *pattern submodel* (Fletcher Mercaldo S, Blume JD. Missing data and prediction: the pattern submodel.
Biostatistics 2020;21(2):236-252, doi:10.1093/biostatistics/kxy040) is a model fitted with exactly the answers of
one skip pattern left out. Instead of filling in what a person skipped with what people like them answered a
decade ago, the person is scored by a model that never used those answers.

Selection rule (the same in training's validation and in serving):

- a person whose skipped answers *include every answer of a pattern* is scored by that pattern's submodel; if
  several patterns fit, the one that leaves out the most answers (the most specific); ties go to the pattern
  listed first;
- any answer they skipped beyond the pattern is marginalised over the answer model exactly as before
  (`imputation.estimate`), under the submodel;
- a person whose skipped answers cover no pattern whole (e.g. only sleep hours, or part of the health section)
  keeps today's marginalisation under the full model: a submodel would throw away answers they gave.

A pattern may also *merge* answers the way the newest survey cycle records them (widowed, divorced and
separated as one answer): the submodel is trained and scored on the merged answer.

The prior shift (`AgeShift`): every model's log-odds plus a constant per age band, chosen at training time so
that the band's mean estimate matches the published prevalence for that band (see `predictor.training.train`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.special import expit

from predictor.features import FEATURES, GROUP_OF_FEATURE, GROUP_QUESTIONS
from predictor.imputation import OPTIONAL_FEATURES, AnswerModel, Estimate, SpreadModel, estimate, missing_matrix


@dataclass(frozen=True)
class Pattern:
    """A skip pattern: the features left out, and answers merged as the newest cycle records them."""

    key: str
    name: str
    left_out: tuple[str, ...]
    merge: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "left_out": list(self.left_out), "merge": dict(self.merge)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Pattern:
        return cls(
            key=data["key"],
            name=data["name"],
            left_out=tuple(data["left_out"]),
            merge={key: dict(values) for key, values in data.get("merge", {}).items()},
        )

    @property
    def used_groups(self) -> list[str]:
        """The question groups the submodel uses (every one but those it left out)."""
        left = {GROUP_OF_FEATURE[key] for key in self.left_out}
        return [group for group in dict.fromkeys(f.group for f in FEATURES) if group not in left]

    @property
    def used_questions(self) -> list[str]:
        return [question for group in self.used_groups for question in GROUP_QUESTIONS.get(group, (group,))]


def apply_merge(columns: Mapping[str, np.ndarray], pattern: Pattern) -> dict[str, np.ndarray]:
    """The columns with this pattern's merged answers recoded (a copy where anything changes)."""
    out = dict(columns)
    for key, mapping in pattern.merge.items():
        values = np.asarray(columns[key], dtype=object).copy()
        for before, after in mapping.items():
            values[values == before] = after
        out[key] = values
    return out


def blank_pattern(columns: Mapping[str, np.ndarray], pattern: Pattern) -> dict[str, np.ndarray]:
    """The columns as a person with this skip pattern gives them: its answers blank, merged answers merged."""
    out = apply_merge(columns, pattern)
    for key in pattern.left_out:
        values = np.asarray(out[key])
        out[key] = np.full(len(values), np.nan, dtype=object if values.dtype == object else np.float64)
    return out


def route(columns: Mapping[str, np.ndarray], patterns: list[Pattern]) -> np.ndarray:
    """(n,) index into `patterns` of the submodel that scores each person, -1 for the full model."""
    missing = missing_matrix(columns, OPTIONAL_FEATURES)
    n = missing.shape[0]
    chosen = np.full(n, -1, dtype=np.int64)
    size = np.zeros(n, dtype=np.int64)
    position = {key: j for j, key in enumerate(OPTIONAL_FEATURES)}
    for index, pattern in enumerate(patterns):
        covered = missing[:, [position[key] for key in pattern.left_out]].all(axis=1)
        better = covered & (len(pattern.left_out) > size)
        chosen[better] = index
        size[better] = len(pattern.left_out)
    return chosen


@dataclass(frozen=True)
class AgeShift:
    """The prior shift per age band: log-odds added to every estimate of a person in the band."""

    bands: tuple[tuple[float, float], ...]  # [low, high] ages, inclusive
    shifts: tuple[float, ...]

    def of(self, ages: np.ndarray) -> np.ndarray:
        ages = np.asarray(ages, dtype=np.float64)
        out = np.zeros(len(ages))
        for (low, high), shift in zip(self.bands, self.shifts, strict=True):
            out[(ages >= low) & (ages <= high)] = shift
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"bands": [list(band) for band in self.bands], "shifts": [round(s, 6) for s in self.shifts]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgeShift:
        return cls(bands=tuple((float(a), float(b)) for a, b in data["bands"]), shifts=tuple(data["shifts"]))


@dataclass
class ModelSet:
    """Everything that scores one model key for one pattern (or the full model): the scorer, its range's parts,
    its band cut-offs and its prior shift."""

    scorer: Any
    spread: SpreadModel | None = None
    transform: Any = None
    model_error: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)
    shift: AgeShift | float = 0.0

    def shift_of(self, ages: np.ndarray) -> np.ndarray | float:
        return self.shift.of(ages) if isinstance(self.shift, AgeShift) else float(self.shift)


@dataclass(frozen=True)
class Served:
    """The estimate as served, one entry per person."""

    estimate: Estimate
    low: np.ndarray | None
    high: np.ndarray | None
    variance_from_skipped: np.ndarray  # (n,) the part of the log-odds variance from marginalised answers
    pattern: np.ndarray  # (n,) index into the patterns, -1 for the full model
    thresholds: list[dict[str, float]]


def served_estimate(
    columns: Mapping[str, np.ndarray],
    *,
    full: ModelSet,
    answer_model: AnswerModel | None,
    patterns: list[Pattern],
    submodels: list[ModelSet],
    z: float | None,
    explain: bool = True,
    shifted: bool = True,
) -> Served:
    """Route every person (`route`), score each group with its model set, and put the rows back in order.

    `shifted=False` leaves out the prior shift (validation on the held-out cycle, whose people are not today's)."""
    n = len(columns["age"])
    chosen = route(columns, patterns) if patterns else np.full(n, -1, dtype=np.int64)
    ages = np.asarray(columns["age"], dtype=np.float64)
    margin, base = np.empty(n), np.empty(n) if explain else None
    contributions: np.ndarray | None = None
    variance = np.zeros(n)
    from_skipped = np.zeros(n)
    model_error = np.zeros(n)
    skipped_groups = None
    has_variance = True
    thresholds: list[dict[str, float]] = [full.thresholds] * n
    for index in np.unique(chosen):
        rows = np.flatnonzero(chosen == index)
        sub = {key: np.asarray(values)[rows] for key, values in columns.items()}
        models = full if index < 0 else submodels[index]
        left_out: tuple[str, ...] = ()
        if index >= 0:
            pattern = patterns[index]
            sub, left_out = apply_merge(sub, pattern), pattern.left_out
        shift = models.shift_of(ages[rows]) if shifted else 0.0
        result = estimate(
            models.scorer,
            sub,
            answer_model=answer_model,
            shift=shift,
            explain=explain,
            spread=models.spread,
            transform=models.transform,
            left_out=left_out,
        )
        margin[rows] = result.margin
        if explain:
            base[rows] = result.base
            if contributions is None:
                contributions = np.zeros((n, result.contributions.shape[1]))
            contributions[rows] = result.contributions
        if skipped_groups is None:
            skipped_groups = np.zeros((n, result.skipped_groups.shape[1]), dtype=bool)
        skipped_groups[rows] = result.skipped_groups
        if result.variance is None:
            has_variance = False
        else:
            variance[rows] = result.variance
            if models.spread is not None and answer_model is not None:
                refit = models.spread.variance(_transformed(models.transform, sub))
                from_skipped[rows] = np.maximum(result.variance - refit, 0.0)
        model_error[rows] = models.model_error
        for row in rows:
            thresholds[row] = models.thresholds
    assert skipped_groups is not None
    low = high = None
    if has_variance and z is not None:
        half = z * np.sqrt(variance + model_error)
        low, high = expit(margin - half), expit(margin + half)
    result = Estimate(
        probability=expit(margin),
        margin=margin,
        base=base,
        contributions=contributions,
        variance=variance if has_variance else None,
        skipped_groups=skipped_groups,
    )
    return Served(result, low, high, from_skipped, chosen, thresholds)


def _transformed(transform: Any, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    from predictor.features import transformed_by

    return transformed_by(transform, columns)


def submodel_files(pattern_key: str, files: Mapping[str, str]) -> dict[str, str]:
    """A submodel's file for each single model: `<pattern>__<file>` beside the full model's."""
    return {key: f"{pattern_key}__{name}" for key, name in files.items()}
