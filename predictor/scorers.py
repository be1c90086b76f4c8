"""The four scoring models, each returning margins (log-odds) with faithful per-question contributions.

Every scorer explains itself in the log-odds space it actually computes, and returns
`base + contributions.sum(axis=1) == margin` exactly, with probability = sigmoid(margin):

- logistic: the Pipeline's last transform centres every column (numbers standardised, missing indicators and
  one-hot columns centred) on the training data, so contribution = coefficient x transformed value and
  base = intercept: the log-odds of a person at the training average.
- forest: Saabas path decomposition of the scikit-learn forest (see `predictor.forest`) in probability space,
  then the Platt calibrator `margin = a * p + b`, which is linear in p, so contributions are scaled by `a` and
  base = a * bias + b.
- xgboost: XGBoost's own exact TreeSHAP values (`pred_contribs`), then the linear Platt calibrator on the margin.
- ensemble: a linear combination of the three calibrated margins (a recalibrated soft vote by default, see
  `predictor.training.train.fit_stacker`), `margin = w0 + sum_k w_k * margin_k`, so contributions =
  sum_k w_k * contributions_k and base = w0 + sum_k w_k * base_k.

Contributions are summed per factor group (one per question) before leaving this module. `build_scorers` is the
one place that turns fitted models and their scoring parameters into the catalogue's scorers, for the registry
and for training alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.special import expit

from predictor import catalogue
from predictor.features import (
    FACTOR_GROUPS,
    FEATURE_KEYS,
    GROUP_OF_FEATURE,
    lookup_codes,
    transformed_by,
    tree_columns,
    tree_matrix_of,
)
from predictor.forest import FlatForest

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

Columns = pd.DataFrame | Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Scored:
    margin: np.ndarray  # (n,) log-odds
    base: np.ndarray | None  # (n,) log-odds before any answer is taken into account
    contributions: np.ndarray | None  # (n, len(FACTOR_GROUPS)) log-odds per factor group; None if not explained

    @property
    def probability(self) -> np.ndarray:
        return expit(self.margin)


@dataclass(frozen=True)
class Platt:
    """p = sigmoid(a * score + b); linear in the score so additive explanations survive it."""

    a: float = 1.0
    b: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {"a": self.a, "b": self.b}


def group_matrix(groups: list[str]) -> np.ndarray:
    """(columns x FACTOR_GROUPS) 0/1 matrix that sums column contributions into question groups."""
    matrix = np.zeros((len(groups), len(FACTOR_GROUPS)))
    for column, group in enumerate(groups):
        matrix[column, FACTOR_GROUPS.index(group)] = 1.0
    return matrix


def logistic_column_groups(pipeline: Pipeline) -> list[str]:
    """Factor group of each column the fitted pipeline feeds to the regression, from its output names."""
    names = pipeline[:-1].get_feature_names_out()
    by_length = sorted(FEATURE_KEYS, key=len, reverse=True)
    groups = []
    for name in names:
        bare = name.split("__", 1)[-1].removeprefix("missingindicator_")
        feature = next(key for key in by_length if bare == key or bare.startswith(key + "_"))
        groups.append(GROUP_OF_FEATURE[feature])
    return groups


class LinearTransform:
    """The fitted Pipeline's preprocessing transcribed into NumPy, column for column.

    Why: scikit-learn's ColumnTransformer validates and copies DataFrames at every step, about 7 ms for one
    person; this does the same arithmetic in tens of microseconds. `matches_pipeline` checks it against the
    Pipeline itself (the registry refuses a version where they differ).
    """

    def __init__(self, pipeline: Pipeline) -> None:
        encode = pipeline.named_steps["encode"]
        self.steps: list[tuple[str, list[str], Any]] = []
        for name, transformer, columns in encode.transformers_:
            if name == "remainder":
                continue
            if name == "num":
                imputer, scaler = transformer[0], transformer[1]
                self.steps.append((name, columns, (imputer.statistics_, scaler.mean_, scaler.scale_)))
            elif name == "bin":
                self.steps.append((name, columns, transformer.statistics_.astype(np.float64)))
            elif name == "missing":
                self.steps.append((name, columns, None))
            elif name == "cat":
                encoder = transformer[-1]
                self.steps.append((name, columns, [list(categories) for categories in encoder.categories_]))
            else:
                raise ValueError(f"Unexpected step {name!r} in the logistic pipeline.")
        self.centre = pipeline.named_steps["centre"].mean_
        self._plan = self._vectorised(self.steps)
        self.width = len(self.centre)

    @staticmethod
    def _vectorised(steps: list[tuple[str, list[str], Any]]) -> list[tuple[str, list[str], int, Any]]:
        """Each step with the column its block starts at, and its parameters as arrays for the whole block."""
        plan: list[tuple[str, list[str], int, Any]] = []
        start = 0
        for name, keys, params in steps:
            if name == "num":
                plan.append((name, keys, start, tuple(np.asarray(p, dtype=np.float64) for p in params)))
                start += len(keys)
            elif name == "bin":
                plan.append((name, keys, start, np.asarray(params, dtype=np.float64)))
                start += len(keys)
            elif name == "missing":
                plan.append((name, keys, start, None))
                start += len(keys)
            else:
                # Per column: its categories' positions, and the position a missing answer takes (the
                # imputer's "missing" category, if the encoder has one).
                lookups, first = [], start
                for categories in params:
                    index = {category: i for i, category in enumerate(categories)}
                    lookups.append((start, len(categories), index, index.get("missing", -1)))
                    start += len(categories)
                plan.append((name, keys, first, lookups))
        return plan

    def transform(self, columns: Columns) -> np.ndarray:
        """The Pipeline's transform of the columns (rows x regression inputs), centred.

        The blocks are computed a step at a time over all of the step's columns (the same arithmetic, element for
        element, as a column at a time) into one C-ordered matrix, so sums over its rows round as before.
        """
        n = len(columns[self.steps[0][1][0]])
        out = np.empty((n, self.width))
        for name, keys, start, params in self._plan:
            if name == "num":
                statistics, mean, scale = params
                values = self._numbers(columns, keys, n)
                out[:, start : start + len(keys)] = (np.where(np.isnan(values), statistics, values) - mean) / scale
            elif name == "bin":
                values = self._numbers(columns, keys, n)
                out[:, start : start + len(keys)] = np.where(np.isnan(values), params, values)
            elif name == "missing":
                out[:, start : start + len(keys)] = np.isnan(self._numbers(columns, keys, n))
            else:
                rows = np.arange(n)
                for key, (first, width, index, missing) in zip(keys, params, strict=True):
                    codes = lookup_codes(np.asarray(columns[key], dtype=object), index, missing=missing, unknown=-1)
                    block = out[:, first : first + width]
                    block[:] = 0.0
                    known = codes >= 0
                    block[rows[known], codes[known]] = 1.0
        out -= self.centre
        return out

    @staticmethod
    def _numbers(columns: Columns, keys: list[str], n: int) -> np.ndarray:
        values = np.empty((n, len(keys)))
        for i, key in enumerate(keys):
            values[:, i] = np.asarray(columns[key], dtype=np.float64)
        return values


class LogisticScorer:
    def __init__(self, pipeline: Pipeline, platt: Platt | None = None) -> None:  # already calibrated: no Platt
        self.pipeline = pipeline
        self.linear = LinearTransform(pipeline)
        regression = pipeline.named_steps["model"]
        self.coef = regression.coef_[0]
        self.intercept = float(regression.intercept_[0])
        self.groups = group_matrix(logistic_column_groups(pipeline))

    def matches_pipeline(self, frame: pd.DataFrame) -> bool:
        ours = self.linear.transform(frame) @ self.coef + self.intercept
        return bool(np.allclose(ours, self.pipeline.decision_function(frame), rtol=1e-9, atol=1e-9))

    def score(self, columns: Columns, *, explain: bool = True) -> Scored:
        per_column = transformed_by(self.linear, columns) * self.coef
        n = per_column.shape[0]
        margin = self.intercept + per_column.sum(axis=1)
        if not explain:
            return Scored(margin=margin, base=None, contributions=None)
        return Scored(margin=margin, base=np.full(n, self.intercept), contributions=per_column @ self.groups)


class ForestScorer:
    def __init__(self, forest: RandomForestClassifier, platt: Platt) -> None:
        self.forest = forest
        self.flat = FlatForest(forest)
        self.platt = platt
        self.groups = group_matrix([group for _, group in tree_columns()])

    def raw_probability(self, columns: Columns) -> np.ndarray:
        # Without explanations each tree's compiled walk (scikit-learn's own, see FlatForest.probability) is
        # faster than ours over many rows.
        return self.flat.probability(tree_matrix_of(columns))

    def score(self, columns: Columns, *, explain: bool = True) -> Scored:
        a, b = self.platt.a, self.platt.b
        if not explain:
            return Scored(margin=a * self.raw_probability(columns) + b, base=None, contributions=None)
        probability, per_column = self.flat.explain(tree_matrix_of(columns))
        margin = a * probability + b
        base = np.full(len(margin), a * self.flat.bias + b)
        return Scored(margin=margin, base=base, contributions=a * (per_column @ self.groups))


class BoosterScorer:
    def __init__(self, booster: xgb.Booster, platt: Platt) -> None:
        self.booster = booster
        self.platt = platt
        self.groups = group_matrix([group for _, group in tree_columns()])

    def raw_contributions(self, columns: Columns) -> np.ndarray:
        matrix = xgb.DMatrix(tree_matrix_of(columns), missing=np.nan)
        # Last column is the bias (expected margin); the row sums equal the raw margin exactly.
        return self.booster.predict(matrix, pred_contribs=True).astype(np.float64)

    def score(self, columns: Columns, *, explain: bool = True) -> Scored:
        a, b = self.platt.a, self.platt.b
        if not explain:
            matrix = xgb.DMatrix(tree_matrix_of(columns), missing=np.nan)
            raw = self.booster.predict(matrix, output_margin=True).astype(np.float64)
            return Scored(margin=a * raw + b, base=None, contributions=None)
        contribs = self.raw_contributions(columns)
        per_column, bias = contribs[:, :-1], contribs[:, -1]
        return Scored(
            margin=a * contribs.sum(axis=1) + b, base=a * bias + b, contributions=a * (per_column @ self.groups)
        )


MemberScorer = LogisticScorer | ForestScorer | BoosterScorer


class EnsembleScorer:
    def __init__(
        self,
        members: dict[str, MemberScorer],
        weights: dict[str, float],
        intercept: float,
    ) -> None:
        self.members = members
        self.weights = weights
        self.intercept = intercept

    def score(self, columns: Columns, *, explain: bool = True) -> Scored:
        scored = {key: member.score(columns, explain=explain) for key, member in self.members.items()}
        margin = self.intercept + sum(self.weights[key] * s.margin for key, s in scored.items())
        if not explain:
            return Scored(margin=margin, base=None, contributions=None)
        base = self.intercept + sum(self.weights[key] * s.base for key, s in scored.items())
        contributions = sum(self.weights[key] * s.contributions for key, s in scored.items())
        return Scored(margin=margin, base=base, contributions=contributions)


Scorer = MemberScorer | EnsembleScorer

SCORER_OF_KIND: dict[str, type[MemberScorer]] = {
    "logistic": LogisticScorer,
    "forest": ForestScorer,
    "xgboost": BoosterScorer,
}


def build_scorers(*, fitted: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Scorer]:
    """A scorer for every catalogue model, from the fitted single models and the scoring parameters.

    `parameters` holds "platt" ({key: {"a", "b"}}) and "ensemble" ({"intercept", "weights": {key: w}}), as in a
    version's scoring.json.
    """
    platt = parameters["platt"]
    scorers: dict[str, Scorer] = {}
    members: dict[str, MemberScorer] = {}
    for entry in catalogue.single_models():
        members[entry.key] = SCORER_OF_KIND[entry.kind](fitted[entry.key], Platt(**platt.get(entry.key, {})))
        scorers[entry.key] = members[entry.key]
    ensemble = parameters["ensemble"]
    for entry in catalogue.models():
        if entry.is_ensemble:
            weights = {key: float(ensemble["weights"][key]) for key in entry.members}
            chosen = {key: members[key] for key in entry.members}
            scorers[entry.key] = EnsembleScorer(chosen, weights, float(ensemble["intercept"]))
    return scorers
