"""Skipped answers: the estimate averaged over what people like this person answered.

Method (documented in docs/predictor.md and on the model card):

- An *answer model* is fitted on the training cycles: a latent-class model (a finite mixture of K classes within
  which answers are independent), fitted by EM on every model feature, with numbers cut into quantile bins.
  Survey non-response is left out of the likelihood (missing at random), so it carries no meaning here.
- For each class, S synthetic completions are drawn at training time from the class's answer distributions
  (a number is drawn from the training values of its bin). They are stored in the artifacts: no survey row is.
- A person who skipped optional questions gets the posterior over the classes given the answers they did give
  (Bayes' rule: prior x the likelihood of the given answers). S slots are filled by systematic resampling of
  that posterior (slot i takes the class where the cumulative posterior passes (i + 0.5) / S) and slot i takes
  completion i of its class. Only the skipped features are taken from the completion; every given answer stays.
- The estimate is the mean of the model's *probabilities* over the S completed rows: the model's average over
  the answers people like this person gave. The explanation is the mean of each *given* answer's contribution
  over the same rows; a skipped question's contribution is 0 ("did not change your estimate"), and the base is
  whatever makes base + contributions equal the estimate's log-odds (it holds what people like this person
  answered for the skipped questions).

Everything is deterministic: the same answers always give the same completions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import logsumexp

from predictor.features import (
    CATEGORICAL_FEATURES,
    CATEGORIES,
    CATEGORY_INDEX,
    FEATURES,
    NUMERIC_FEATURES,
    Inputs,
    isna_objects,
    lookup_codes,
    transformed_by,
)

_LABELS = {key: np.asarray(values, dtype=object) for key, values in CATEGORIES.items()}
# Questions everyone answers; everything else can be skipped and is marginalised when it is.
REQUIRED_FEATURES = ("age", "sex")
OPTIONAL_FEATURES: tuple[str, ...] = tuple(f.key for f in FEATURES if f.key not in REQUIRED_FEATURES)


@dataclass
class AnswerModel:
    """Fitted latent-class model of the answers plus its stored completions."""

    features: list[str]
    # per feature: interior bin edges (numbers) or None (categories / 0-1 conditions)
    edges: dict[str, list[float] | None]
    log_prior: np.ndarray  # (K,)
    log_theta: dict[str, np.ndarray]  # feature -> (K, levels)
    completions: np.ndarray  # (K, S, len(features)) float: numbers as values, categories as their index

    @property
    def n_classes(self) -> int:
        return int(self.log_prior.shape[0])

    @property
    def n_slots(self) -> int:
        return int(self.completions.shape[1])

    # --- serialisation (arrays in an .npz without pickles, the rest in scoring.json) ----------------------------

    def arrays(self) -> dict[str, np.ndarray]:
        arrays = {"log_prior": self.log_prior, "completions": self.completions}
        arrays |= {f"log_theta__{key}": value for key, value in self.log_theta.items()}
        return arrays

    def settings(self) -> dict[str, Any]:
        return {"features": self.features, "edges": self.edges}

    @classmethod
    def from_parts(cls, settings: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> AnswerModel:
        features = list(settings["features"])
        return cls(
            features=features,
            edges={key: settings["edges"][key] for key in features},
            log_prior=np.asarray(arrays["log_prior"], dtype=np.float64),
            log_theta={key: np.asarray(arrays[f"log_theta__{key}"], dtype=np.float64) for key in features},
            completions=np.asarray(arrays["completions"], dtype=np.float64),
        )

    # --- levels -------------------------------------------------------------------------------------------------

    def levels(self, key: str, values: np.ndarray) -> np.ndarray:
        """Level index of each value (-1 where missing)."""
        if key in CATEGORICAL_FEATURES:
            return lookup_codes(values, CATEGORY_INDEX[key], missing=-1, unknown=-1)
        values = np.asarray(values, dtype=np.float64)
        edges = self._edge_arrays().get(key)
        # Without edges (0/1 conditions) the value is its level.
        index = np.searchsorted(edges, values, side="right") if edges is not None else values
        return np.where(np.isnan(values), -1, index).astype(np.int64)

    def _edge_arrays(self) -> dict[str, np.ndarray]:
        """The bin edges as arrays, made once (searchsorted would convert the lists at every call)."""
        arrays = self.__dict__.get("_edges_as_arrays")
        if arrays is None:
            arrays = {
                key: np.asarray(edges, dtype=np.float64) for key, edges in self.edges.items() if edges is not None
            }
            self.__dict__["_edges_as_arrays"] = arrays
        return arrays

    def log_posterior(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """(n, K) log posterior over the classes given the answers present in `columns`."""
        n = len(next(iter(columns.values())))
        log_joint = np.tile(self.log_prior, (n, 1))
        for key in self.features:
            level = self.levels(key, columns[key])
            present = level >= 0
            if present.any():
                log_joint[present] += self.log_theta[key][:, level[present]].T
        return log_joint - logsumexp(log_joint, axis=1, keepdims=True)

    def slot_classes(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """(n, S) class of each completion slot: systematic resampling of each person's posterior."""
        posterior = np.exp(self.log_posterior(columns))
        cumulative = np.cumsum(posterior, axis=1)
        cumulative[:, -1] = 1.0
        targets = (np.arange(self.n_slots) + 0.5) / self.n_slots
        return np.minimum((cumulative[:, None, :] < targets[None, :, None]).sum(axis=2), self.n_classes - 1).astype(
            np.int64
        )

    def complete(self, columns: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
        """Model columns for `rows` (indices into `columns`) repeated S times, skipped features filled in.

        Row r's slot s is output row r * S + s."""
        n_slots = self.n_slots
        picked = {key: np.asarray(values)[rows] for key, values in columns.items()}
        classes = self.slot_classes(picked)  # (m, S)
        slot = np.broadcast_to(np.arange(n_slots), classes.shape)
        completions = self.completions[classes, slot]  # (m, S, features): every slot's completion at once
        out: dict[str, np.ndarray] = {}
        for j, key in enumerate(self.features):
            filled = completions[:, :, j].reshape(-1)
            if key in CATEGORICAL_FEATURES:
                given = np.asarray(picked[key], dtype=object)
                values = np.repeat(given, n_slots)
                missing = np.repeat(isna_objects(given), n_slots)
                if missing.any():
                    values[missing] = _LABELS[key][filled[missing].astype(np.int64)]
            else:
                values = np.repeat(np.asarray(picked[key], dtype=np.float64), n_slots)
                values = np.where(np.isnan(values), filled, values)
            out[key] = values
        return out


def missing_matrix(columns: Mapping[str, np.ndarray], keys: tuple[str, ...]) -> np.ndarray:
    """(n, len(keys)) True where the feature is missing."""
    n = len(columns[keys[0]])
    missing = np.empty((n, len(keys)), dtype=bool)
    for j, key in enumerate(keys):
        values = np.asarray(columns[key])
        # A float column's missing values are its NaNs; anything else is looked at as objects, as pd.isna does.
        missing[:, j] = np.isnan(values) if values.dtype == np.float64 else isna_objects(values.astype(object))
    return missing


# --- fitting (training only) ------------------------------------------------------------------------------------


def _edges(values: np.ndarray, bins: int) -> list[float] | None:
    values = values[~np.isnan(values)]
    distinct = np.unique(values)
    if len(distinct) <= bins:
        # Few distinct values (household size, whole sleep hours): a level per value, cut half-way between.
        return [float(x) for x in (distinct[:-1] + distinct[1:]) / 2]
    quantiles = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))
    return [float(x) for x in quantiles]


def fit_answer_model(
    frame: pd.DataFrame,
    *,
    n_classes: int = 32,
    n_slots: int = 32,
    bins: int = 8,
    iterations: int = 150,
    random_state: int = 0,
    tolerance: float = 1e-5,
) -> AnswerModel:
    """EM for the latent-class model on the training frame (model features), then draw the completions."""
    rng = np.random.default_rng(random_state)
    features = [f.key for f in FEATURES]
    edges: dict[str, list[float] | None] = {}
    for key in features:
        edges[key] = _edges(frame[key].to_numpy(dtype=np.float64), bins) if key in NUMERIC_FEATURES else None
    model = AnswerModel(features, edges, np.zeros(n_classes), {}, np.zeros((n_classes, n_slots, len(features))))
    levels = {key: model.levels(key, frame[key].to_numpy()) for key in features}
    n_levels = {
        key: (len(CATEGORIES[key]) if key in CATEGORICAL_FEATURES else (len(edges[key]) + 1 if edges[key] else 2))
        for key in features
    }
    # One-hot design over all levels of all features (a missing answer is a row of zeros in its block), so each
    # EM step is two sparse matrix products.
    offsets = np.cumsum([0] + [n_levels[key] for key in features])
    n = len(frame)
    rows, cols = [], []
    for j, key in enumerate(features):
        present = np.flatnonzero(levels[key] >= 0)
        rows.append(present)
        cols.append(offsets[j] + levels[key][present])
    rows_all, cols_all = np.concatenate(rows), np.concatenate(cols)
    design = sparse.csr_matrix((np.ones(len(rows_all)), (rows_all, cols_all)), shape=(n, offsets[-1]))
    responsibility = rng.dirichlet(np.ones(n_classes), size=n)
    previous = -np.inf
    for _ in range(iterations):
        # M step (add-one smoothing keeps every level possible in every class)
        log_prior = np.log((responsibility.sum(axis=0) + 1.0) / (n + n_classes))
        counts = np.asarray((design.T @ responsibility).T) + 1.0  # (K, L)
        log_all = np.empty_like(counts)
        for j in range(len(features)):
            block = counts[:, offsets[j] : offsets[j + 1]]
            log_all[:, offsets[j] : offsets[j + 1]] = np.log(block / block.sum(axis=1, keepdims=True))
        # E step
        log_joint = np.asarray(design @ log_all.T) + log_prior
        total = logsumexp(log_joint, axis=1)
        responsibility = np.exp(log_joint - total[:, None])
        log_likelihood = float(total.mean())
        if log_likelihood - previous < tolerance:
            break
        previous = log_likelihood
    log_theta = {key: log_all[:, offsets[j] : offsets[j + 1]] for j, key in enumerate(features)}
    model.log_prior, model.log_theta = log_prior, log_theta

    completions = np.zeros((n_classes, n_slots, len(features)))
    for j, key in enumerate(features):
        theta = np.exp(log_theta[key])
        cumulative = np.cumsum(theta, axis=1)
        draws = (rng.random((n_classes, n_slots, 1)) > cumulative[:, None, :]).sum(axis=2)
        draws = np.minimum(draws, n_levels[key] - 1)
        if key in NUMERIC_FEATURES:
            observed = frame[key].to_numpy(dtype=np.float64)
            observed_levels = levels[key]
            values = np.empty(draws.shape)
            for level in range(n_levels[key]):
                pool = observed[observed_levels == level]
                mask = draws == level
                values[mask] = rng.choice(pool, size=int(mask.sum())) if len(pool) else np.nan
            completions[:, :, j] = values
        else:
            completions[:, :, j] = draws
    model.completions = completions
    return model


# --- scoring with skipped answers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpreadModel:
    """Emulates the spread of refits (see `predictor.training` for how it is fitted): the variance of a model's
    log-odds across refits, as exp(intercept + coef . z) where z is the logistic model's transformed row."""

    intercept: float
    coef: np.ndarray

    def variance(self, transformed: np.ndarray) -> np.ndarray:
        return np.exp(self.intercept + transformed @ self.coef)

    def as_dict(self) -> dict[str, Any]:
        return {"intercept": self.intercept, "coef": [round(float(c), 6) for c in self.coef]}


@dataclass(frozen=True)
class Estimate:
    probability: np.ndarray  # (n,) the estimate (mean over completions where answers were skipped)
    margin: np.ndarray  # (n,) its log-odds
    base: np.ndarray | None  # (n,) base + contributions.sum(1) == margin
    contributions: np.ndarray | None  # (n, groups); 0 for every skipped question
    variance: np.ndarray | None  # (n,) of the log-odds: refit spread (+ spread over completions), if asked
    skipped_groups: np.ndarray  # (n, groups) True where the question was skipped


def _rows(columns: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {key: np.asarray(values)[rows] for key, values in columns.items()}


def _distinct_rows(
    answer_model: AnswerModel, completed: Mapping[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The distinct completed rows, and for every completed row the index of its distinct row."""
    codes = np.column_stack(
        [
            answer_model.levels(key, completed[key]) if key in CATEGORICAL_FEATURES else completed[key]
            for key in answer_model.features
        ]
    ).astype(np.float64)
    _, first, inverse = np.unique(codes, axis=0, return_index=True, return_inverse=True)
    return {key: values[first] for key, values in completed.items()}, inverse.reshape(-1)


def _skipped_groups(missing: np.ndarray) -> np.ndarray:
    from predictor.features import FACTOR_GROUPS, GROUP_OF_FEATURE

    groups = np.zeros((missing.shape[0], len(FACTOR_GROUPS)), dtype=bool)
    for j, key in enumerate(OPTIONAL_FEATURES):
        groups[:, FACTOR_GROUPS.index(GROUP_OF_FEATURE[key])] |= missing[:, j]
    return groups


def estimate(
    scorer: Any,
    columns: Mapping[str, np.ndarray],
    *,
    answer_model: AnswerModel | None,
    shift: float | np.ndarray = 0.0,
    explain: bool = True,
    spread: SpreadModel | None = None,
    transform: Any = None,
    left_out: tuple[str, ...] = (),
) -> Estimate:
    """Score people, marginalising every skipped optional question over the answer model's completions.

    `shift` is added to every log-odds before probabilities are averaged (the prior shift to today's prevalence):
    one number, or one per person (the prior shift by age band). `spread` with `transform` (a `LinearTransform`)
    adds the refit variance of each estimate's log-odds. `left_out` names the features a pattern submodel never
    saw (`predictor.patterns`): they stay blank and are not marginalised; any other skipped answer is.
    """
    from scipy.special import expit, logit

    n = len(columns["age"])
    shifts = np.broadcast_to(np.asarray(shift, dtype=np.float64), (n,))
    missing = missing_matrix(columns, OPTIONAL_FEATURES)
    skipped = _skipped_groups(missing)
    to_fill = missing[:, [j for j, key in enumerate(OPTIONAL_FEATURES) if key not in left_out]]
    incomplete = to_fill.any(axis=1) if answer_model is not None else np.zeros(n, dtype=bool)
    margin = np.empty(n)
    base = np.empty(n) if explain else None
    contributions: np.ndarray | None = None
    variance = np.zeros(n) if spread is not None else None

    complete_rows = np.flatnonzero(~incomplete)
    if len(complete_rows):
        sub = Inputs(columns if len(complete_rows) == n else _rows(columns, complete_rows))
        scored = scorer.score(sub, explain=explain)
        margin[complete_rows] = scored.margin + shifts[complete_rows]
        if explain:
            base[complete_rows] = scored.base + shifts[complete_rows]
            contributions = np.zeros((n, scored.contributions.shape[1]))
            contributions[complete_rows] = scored.contributions
        if spread is not None:
            variance[complete_rows] = spread.variance(transformed_by(transform, sub))

    rows = np.flatnonzero(incomplete)
    if len(rows):
        slots = answer_model.n_slots
        completed = answer_model.complete(columns, rows)
        for key in left_out:  # the submodel never saw these: they stay blank
            completed[key] = np.full(len(completed[key]), np.nan, dtype=completed[key].dtype)
        # Completions often repeat (a skipped choice has a handful of values): score each distinct row once.
        distinct, inverse = _distinct_rows(answer_model, completed)
        distinct = Inputs(distinct)
        scored = scorer.score(distinct, explain=explain)
        slot_margin = scored.margin[inverse].reshape(len(rows), slots) + shifts[rows, None]
        mean_probability = expit(slot_margin).mean(axis=1)
        margin[rows] = logit(np.clip(mean_probability, 1e-12, 1 - 1e-12))
        if explain:
            per_group = scored.contributions[inverse].reshape(len(rows), slots, -1).mean(axis=1)
            per_group[skipped[rows]] = 0.0
            if contributions is None:
                contributions = np.zeros((n, per_group.shape[1]))
            contributions[rows] = per_group
            base[rows] = margin[rows] - per_group.sum(axis=1)
        if spread is not None:
            refit = spread.variance(transformed_by(transform, distinct))[inverse].reshape(len(rows), slots).mean(axis=1)
            variance[rows] = refit + slot_margin.var(axis=1)
    return Estimate(
        probability=expit(margin),
        margin=margin,
        base=base,
        contributions=contributions,
        variance=variance,
        skipped_groups=skipped,
    )
