"""Train the four models, validate them on the held-out cycle and write a versioned artifact directory.

Protocol (why it looks like this):
- the most recent cycle in the dataset is held out; nothing fitted or chosen below ever sees it;
- on the training cycles, stratified 5-fold cross-validation gives out-of-fold predictions; they fit the Platt
  calibrators of the two tree models, the combination weights of the ensemble and the risk-band cut-offs ("internal
  validation data"). Folds are random rather than one cycle each because whole modules are missing in single
  cycles: a model that never saw, say, general health missing would score that cycle in a way the final model
  (which has) never does, and the calibrators would learn that artefact;
- final models are refitted on all training cycles and then scored once on the held-out cycle.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
import xgboost as xgb
from scipy.special import expit
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from predictor import catalogue, choice, patterns
from predictor.artifacts import ACTIVE_FILE, ANSWER_MODEL_FILE, MANIFEST_FILE, SCORING_FILE, file_entries, model_files
from predictor.features import (
    BINARY_FEATURES,
    CATEGORICAL_FEATURES,
    CATEGORIES,
    FACTOR_GROUPS,
    FEATURE_KEYS,
    FEATURES,
    NUMERIC_FEATURES,
    normalise_frame,
    tree_columns,
    tree_matrix,
)
from predictor.imputation import AnswerModel, SpreadModel, fit_answer_model
from predictor.schema import SCHEMA_VERSION
from predictor.scorers import BoosterScorer, ForestScorer, LogisticScorer, Platt, Scorer, build_scorers
from predictor.training import survey
from predictor.training.dataset import cycle_summary
from predictor.training.evaluation import choose_thresholds, evaluate

MODEL_KEYS = catalogue.model_keys()
# This training fits one model of each kind below and one ensemble of them.
MEMBER_KEYS = next(entry.members for entry in catalogue.models() if entry.is_ensemble)
# Survey design columns the dataset carries beside the features (not model inputs): validation only.
DESIGN_COLUMNS = ("exam_weight", "stratum", "psu", "race_ethnicity")


@dataclass(frozen=True)
class TrainingConfig:
    holdout_cycle: str = "2017-2018"
    random_state: int = 20261126
    logistic_c: float = 0.1
    forest: dict[str, Any] = field(
        default_factory=lambda: {
            "n_estimators": 120,
            "max_depth": 9,
            "min_samples_leaf": 30,
            "max_features": 0.3,
            "max_samples": 0.7,
        }
    )
    xgboost: dict[str, Any] = field(
        default_factory=lambda: {
            "max_depth": 3,
            "eta": 0.05,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "min_child_weight": 5,
            "lambda": 5.0,
        }
    )
    xgboost_rounds: int = 400
    folds: int = 5
    ensemble: str = "soft_vote"  # or "stacking"; see fit_stacker
    n_jobs: int = 2
    # Training rows with realistic skip patterns: for each pattern of SKIP_PATTERNS, a copy of this share of the
    # training rows with those answers blanked (grouped with their original in cross-validation). 0 turns it off.
    skip_pattern_share: float = 0.15
    # The answer model that marginalises skipped questions (predictor.imputation).
    answer_classes: int = 32
    answer_slots: int = 32
    # The prior shift to today's prevalence (see PREVALENCE_SOURCE).
    target_prevalence: float = 0.131
    # The interval around each estimate: its level, and how many training rows fit the refit-spread model.
    interval_level: float = 0.90
    spread_rows: int = 8000
    # The range's model-error term is set over 20 groups of similar estimates, the training cycles pooled. True:
    # over groups cut within each cycle (this many per cycle: the size of the card's check), each required to hold
    # its observed share inside its range (survey.model_error_needed). Not the default: on v2026.12.07-3 it met the
    # card's 9-of-10-tenths check only by a term of 0.40 that doubled the median width (4.1 to 9.1 points) and
    # widened the top tenth to about 21-70 % (docs/predictor.md, "The range").
    model_error_by_cycle: bool = False
    model_error_groups_per_cycle: int = 10
    # Rao-Wu bootstrap replicates of the held-out survey design, for the intervals of the validation tables.
    bootstrap_replicates: int = 200
    # Pattern submodels (predictor.patterns): one per pattern of SUBMODEL_PATTERNS; False trains none.
    submodels: bool = True
    # The prior shift by age band (PREVALENCE_BY_AGE); False shifts everyone by the one overall figure.
    prior_shift_by_age: bool = True
    # "Less reliable for people like you": a group whose hold-out ROC-AUC is more than this below the overall
    # one, or whose bootstrap interval lies wholly below it (and that has at least `weaker_group_min_n` people).
    weaker_group_auc_gap: float = 0.05
    weaker_group_min_n: int = 200


PREVALENCE_SOURCE = {
    "figure": 0.131,
    "what": "depression (PHQ-9 total >= 10) in the past 2 weeks, people age 12 and older, United States",
    "period": "August 2021 - August 2023 (NHANES)",
    "source": "Brody DJ, Hughes JP. Depression prevalence in adolescents and adults: United States, August 2021-"
    "August 2023. NCHS Data Brief No. 527. Hyattsville, MD: National Center for Health Statistics. April 2025. "
    "https://doi.org/10.15620/cdc/174579",
    "published": "2025-04",
}
# Today's prevalence by age band (adults; the model's bands). An assumption about today's population: that the
# people answering now resemble the US population of August 2021 - August 2023 in how common a positive screen
# is at their age, and that only the rate changed, not how answers relate to it.
# Source: NCHS Data Brief No. 527 (above), Key findings and Figure 1 (prevalence by sex and age group): 13.1 %
# at 12 and over, 19.2 % at 12-19, 8.7 % at 60 and over; 16.0 % of females and 10.1 % of males. The brief's
# figures for 20-39 and 40-59 were not available to us as numbers, so 18-59 is one band, its figure derived from
# the brief's own: (13.1 - 0.122 x 19.2 - 0.275 x 8.7) / 0.603 = 13.9 %, with the shares of ages 12-19 (12.2 %),
# 20-59 (60.3 %) and 60+ (27.5 %) among US residents aged 12 and over: approximate shares from US population
# estimates for the early 2020s, our rounding, not taken from the brief. Replace the derived figure with the
# brief's table figures (20-39, 40-59) when they are at hand. Sex is not used:
# the brief gives no age-by-sex table we could read, and shifting by sex on top of age would double-count.
PREVALENCE_BY_AGE: tuple[dict[str, Any], ...] = (
    {"band": "18-59", "low": 18, "high": 59, "prevalence": 0.139, "how": "derived from the brief's figures"},
    {"band": "60+", "low": 60, "high": 200, "prevalence": 0.087, "how": "published (Data Brief 527, Figure 1)"},
)
# Answers people skip together, reproduced in training rows: the whole health section, income with household
# size, and the mental-health visit question alone.
SKIP_PATTERNS: dict[str, tuple[str, ...]] = {
    "health section": (
        "bmi",
        *(f.key for f in FEATURES if f.key.startswith("condition_")),
        "general_health",
        "mental_health_visit",
    ),
    "income and household": ("income_poverty_ratio", "household_size"),
    "mental-health visit": ("mental_health_visit",),
}
# The newest NHANES cycle (August 2021 - August 2023) asks none of these and records widowed, divorced and
# separated as one answer: people answering like it are scored by a model that never saw those answers.
NEWEST_CYCLE_LEFT_OUT = (
    "employment",
    "diet_quality",
    "sleep_trouble_told_doctor",
    "general_health",
    "mental_health_visit",
)
# Pattern submodels (predictor.patterns; Fletcher Mercaldo & Blume, Biostatistics 2020): one per pattern.
SUBMODEL_PATTERNS: tuple[patterns.Pattern, ...] = (
    patterns.Pattern("health_section", "health section", SKIP_PATTERNS["health section"]),
    patterns.Pattern("income_household", "income and household", SKIP_PATTERNS["income and household"]),
    patterns.Pattern("mental_health_visit", "mental-health visit", SKIP_PATTERNS["mental-health visit"]),
    patterns.Pattern(
        "newest_cycle",
        "newest survey cycle (2021-23)",
        NEWEST_CYCLE_LEFT_OUT,
        merge={"marital_status": {"widowed": "divorced_or_separated"}},
    ),
)


# --- model builders ---------------------------------------------------------------------------------------------


def build_logistic(*, c: float, features: tuple[str, ...] = FEATURE_KEYS) -> Pipeline:
    """Impute, flag what was missing, one-hot the categories, standardise the numbers, then centre every column.

    Centring makes coefficient x value an effect relative to the training average (base = intercept). 0/1 columns
    are centred but not divided by their standard deviation: dividing would blow up a rare indicator (a question
    almost nobody skipped in the survey) into a large value that a small, barely penalised coefficient could use,
    so one unanswered question could move the estimate a lot on the strength of a handful of people.
    """
    numeric = [f for f in features if f in NUMERIC_FEATURES]
    binary = [f for f in features if f in BINARY_FEATURES]
    categorical = [f for f in features if f in CATEGORICAL_FEATURES]
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if binary:
        transformers.append(("bin", SimpleImputer(strategy="most_frequent"), binary))
    if numeric or binary:
        transformers.append(("missing", MissingIndicator(features="all"), numeric + binary))
    if categorical:
        transformers.append(
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing", keep_empty_features=True),
                    OneHotEncoder(
                        categories=[[*CATEGORIES[f], "missing"] for f in categorical],
                        handle_unknown="ignore",
                        sparse_output=False,
                    ),
                ),
                categorical,
            )
        )
    return Pipeline(
        [
            ("encode", ColumnTransformer(transformers, sparse_threshold=0.0)),
            ("centre", StandardScaler(with_std=False)),
            ("model", LogisticRegression(C=c, max_iter=5000)),
        ]
    )


def fit_logistic(
    frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig, features: tuple[str, ...] = FEATURE_KEYS
) -> Pipeline:
    return build_logistic(c=config.logistic_c, features=features).fit(frame[list(features)], y)


def fit_forest(frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig) -> RandomForestClassifier:
    forest = RandomForestClassifier(**config.forest, n_jobs=config.n_jobs, random_state=config.random_state)
    return forest.fit(tree_matrix(frame), y)


def fit_booster(frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig) -> xgb.Booster:
    # Columns are unnamed so scoring needs no name bookkeeping; scoring.json lists them in order.
    matrix = xgb.DMatrix(tree_matrix(frame), label=y, missing=np.nan)
    params = {
        **config.xgboost,
        "objective": "binary:logistic",
        "eval_metric": "logloss",
        "tree_method": "hist",
        "nthread": config.n_jobs,
        "seed": config.random_state,
    }
    return xgb.train(params, matrix, num_boost_round=config.xgboost_rounds)


def fit_platt(score: np.ndarray, y: np.ndarray) -> Platt:
    model = LogisticRegression(C=1e6, max_iter=1000).fit(score.reshape(-1, 1), y)
    return Platt(a=float(model.coef_[0, 0]), b=float(model.intercept_[0]))


def fit_stacker(margins: np.ndarray, y: np.ndarray, *, method: str) -> tuple[float, dict[str, float]]:
    """Combine the members' calibrated margins linearly.

    "soft_vote": the mean of the three log-odds, recalibrated by one logistic regression (intercept + slope), so
    every member keeps an equal say; "stacking": a logistic regression with one weight per member, weights kept
    non-negative so a factor never flips direction between a member and the ensemble.
    """
    if method == "soft_vote":
        model = LogisticRegression(C=1e6, max_iter=1000).fit(margins.mean(axis=1, keepdims=True), y)
        slope = float(model.coef_[0, 0]) / len(MEMBER_KEYS)
        return float(model.intercept_[0]), dict.fromkeys(MEMBER_KEYS, slope)
    keys = list(MEMBER_KEYS)
    while True:
        model = LogisticRegression(C=1e6, max_iter=1000).fit(margins[:, [MEMBER_KEYS.index(k) for k in keys]], y)
        weights = dict(zip(keys, model.coef_[0].tolist(), strict=True))
        negative = [k for k, w in weights.items() if w <= 0]
        if not negative or len(keys) == 1:
            break
        keys = [k for k in keys if k not in negative]
    full = {key: float(weights.get(key, 0.0)) for key in MEMBER_KEYS}
    return float(model.intercept_[0]), full


# --- training ---------------------------------------------------------------------------------------------------


@dataclass
class TrainedModels:
    logistic: Pipeline
    forest: RandomForestClassifier
    booster: xgb.Booster
    platt: dict[str, Platt]
    ensemble_intercept: float
    ensemble_weights: dict[str, float]
    thresholds: dict[str, dict[str, float]]
    seconds: dict[str, float]
    # Out-of-fold calibrated log-odds of the original training rows (not the skip-pattern copies), per model.
    oof_margin: dict[str, np.ndarray] = field(default_factory=dict)
    # The cross-validation fold models (in memory only): the refits whose spread the interval describes.
    fold_models: list[tuple[Pipeline, RandomForestClassifier, xgb.Booster]] = field(default_factory=list)

    def parameters(self) -> dict[str, Any]:
        """The calibration and ensemble parameters, as scoring.json stores them."""
        return {
            "platt": {key: platt.as_dict() for key, platt in self.platt.items()},
            "ensemble": {"intercept": self.ensemble_intercept, "weights": self.ensemble_weights},
        }

    def scorers(self) -> dict[str, Scorer]:
        return self.scorers_of(self.logistic, self.forest, self.booster)

    def scorers_of(self, logistic: Pipeline, forest: RandomForestClassifier, booster: xgb.Booster) -> dict[str, Scorer]:
        """Scorers for these fitted models with this training's calibration and ensemble weights."""
        fitted = {"logistic": logistic, "forest": forest, "xgboost": booster}
        return build_scorers(fitted=fitted, parameters=self.parameters())


def _timed(seconds: dict[str, float], key: str, fit: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    start = time.perf_counter()
    result = fit(*args, **kwargs)
    seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - start
    return result


def _raw_scores(
    frame: pd.DataFrame, logistic: Pipeline, forest: RandomForestClassifier, booster: xgb.Booster
) -> dict[str, np.ndarray]:
    """Uncalibrated scores the calibrators are fitted on: LR margin, forest probability, XGBoost margin."""
    return {
        "logistic": LogisticScorer(logistic).score(frame).margin,
        "forest": ForestScorer(forest, Platt()).raw_probability(frame),
        "xgboost": BoosterScorer(booster, Platt()).raw_contributions(frame).sum(axis=1),
    }


def with_skip_patterns(
    frame: pd.DataFrame, y: np.ndarray, *, share: float, random_state: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The training rows plus, for each skip pattern, a copy of `share` of them with those answers blanked.

    Returns (frame, y, person): `person` is the original row of every row, so cross-validation keeps a person and
    their copies in the same fold."""
    person = np.arange(len(frame))
    if share <= 0:
        return frame, y, person
    rng = np.random.default_rng(random_state)
    frames, ys, people = [frame], [y], [person]
    for keys in SKIP_PATTERNS.values():
        chosen = np.sort(rng.choice(len(frame), size=round(share * len(frame)), replace=False))
        copy = frame.iloc[chosen].copy()
        copy[list(keys)] = np.nan
        frames.append(copy)
        ys.append(y[chosen])
        people.append(chosen)
    return pd.concat(frames, ignore_index=True), np.concatenate(ys), np.concatenate(people)


def train(
    *,
    frame: pd.DataFrame,
    y: np.ndarray,
    config: TrainingConfig,
    log: Callable[[str], None] = lambda message: None,
    features: tuple[str, ...] = FEATURE_KEYS,
) -> TrainedModels:
    """Cross-validate, calibrate and refit the three members and the ensemble. `features` are the logistic
    model's inputs (a pattern submodel leaves some out; the tree models see those columns blank everywhere, so
    they never split on them)."""
    seconds: dict[str, float] = {}
    original = len(y)
    frame, y, person = with_skip_patterns(frame, y, share=config.skip_pattern_share, random_state=config.random_state)
    oof = {key: np.zeros(len(y)) for key in MEMBER_KEYS}
    folds = StratifiedGroupKFold(n_splits=config.folds, shuffle=True, random_state=config.random_state)
    fold_models = []
    for fold, (fit_index, out_index) in enumerate(folds.split(frame, y, groups=person), start=1):
        fit_frame, fit_y, out_frame = frame.iloc[fit_index], y[fit_index], frame.iloc[out_index]
        logistic = _timed(seconds, "logistic", fit_logistic, fit_frame, fit_y, config, features)
        forest = _timed(seconds, "forest", fit_forest, fit_frame, fit_y, config)
        booster = _timed(seconds, "xgboost", fit_booster, fit_frame, fit_y, config)
        fold_models.append((logistic, forest, booster))
        for key, score in _raw_scores(out_frame, logistic, forest, booster).items():
            oof[key][out_index] = score
        log(f"  cross-validation fold {fold}/{config.folds} done")

    # Calibrators and the ensemble see the skip-pattern copies too, so they hold for people who skip answers;
    # band cut-offs and the prior shift are chosen on the original rows only.
    platt = {"logistic": Platt(), "forest": fit_platt(oof["forest"], y), "xgboost": fit_platt(oof["xgboost"], y)}
    calibrated = np.column_stack([platt[k].a * oof[k] + platt[k].b for k in MEMBER_KEYS])
    intercept, weights = _timed(seconds, "ensemble", fit_stacker, calibrated, y, method=config.ensemble)
    oof_margin = {k: calibrated[:original, i] for i, k in enumerate(MEMBER_KEYS)}
    oof_margin["ensemble"] = intercept + calibrated[:original] @ np.array([weights[k] for k in MEMBER_KEYS])
    thresholds = {key: choose_thresholds(y[:original], expit(m)) for key, m in oof_margin.items()}

    logistic = _timed(seconds, "logistic", fit_logistic, frame, y, config, features)
    forest = _timed(seconds, "forest", fit_forest, frame, y, config)
    booster = _timed(seconds, "xgboost", fit_booster, frame, y, config)
    # The ensemble needs its members, so its training time includes theirs.
    seconds["ensemble"] = seconds["ensemble"] + seconds["logistic"] + seconds["forest"] + seconds["xgboost"]
    return TrainedModels(
        logistic, forest, booster, platt, intercept, weights, thresholds, seconds, oof_margin, fold_models
    )


def fit_spread_models(
    trained: TrainedModels, frame: pd.DataFrame, *, rows: int, random_state: int
) -> dict[str, SpreadModel]:
    """The refit spread of each model, as a function of the answers.

    The cross-validation fold models are refits on all but one fold; their spread is the delete-a-group
    jackknife variance of the log-odds, (G - 1) / G x sum_g (m_g - mean)^2, with each fold model calibrated and
    combined like the shipped one. It is computed on a sample of training rows and emulated by a ridge
    regression of its logarithm on the logistic model's transformed answers, so serving needs no fold model.
    """
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(random_state)
    sample = frame.iloc[np.sort(rng.choice(len(frame), size=min(rows, len(frame)), replace=False))]
    folds = len(trained.fold_models)
    margins = {key: np.zeros((folds, len(sample))) for key in MODEL_KEYS}
    for g, (logistic, forest, booster) in enumerate(trained.fold_models):
        member = {
            key: scorer.score(sample, explain=False).margin
            for key, scorer in trained.scorers_of(logistic, forest, booster).items()
            if key in MEMBER_KEYS
        }
        for key in MEMBER_KEYS:
            margins[key][g] = member[key]
        margins["ensemble"][g] = trained.ensemble_intercept + sum(
            trained.ensemble_weights[key] * member[key] for key in MEMBER_KEYS
        )
    transformed = LogisticScorer(trained.logistic).linear.transform(sample)
    spread = {}
    for key, m in margins.items():
        variance = (folds - 1) / folds * ((m - m.mean(axis=0)) ** 2).sum(axis=0)
        ridge = Ridge(alpha=1.0).fit(transformed, np.log(variance + 1e-8))
        spread[key] = SpreadModel(intercept=float(ridge.intercept_), coef=ridge.coef_.astype(np.float64))
    return spread


def design_columns(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exam weight, stratum and primary sampling unit; a table without them counts every person once, each its
    own sampling unit (a plain bootstrap)."""
    n = len(frame)
    weight = frame["exam_weight"].to_numpy(dtype=float) if "exam_weight" in frame else np.ones(n)
    weight = np.where(np.isfinite(weight) & (weight > 0), weight, np.nan)
    weight = np.where(np.isnan(weight), np.nanmedian(weight) if np.isfinite(weight).any() else 1.0, weight)
    if "stratum" in frame and "psu" in frame:
        return weight, frame["stratum"].fillna(-1).to_numpy(), frame["psu"].fillna(-1).to_numpy()
    return weight, np.zeros(n), np.arange(n)


def age_prior_shift(
    margin: np.ndarray, y: np.ndarray, weight: np.ndarray, age: np.ndarray, *, config: TrainingConfig
) -> patterns.AgeShift:
    """Per age band of PREVALENCE_BY_AGE: the log-odds shift that makes the band's mean estimate, over the
    training cycles' out-of-fold estimates reweighted to the band's prevalence, equal it. Without
    `prior_shift_by_age` every band gets the overall shift to `target_prevalence`."""
    bands = tuple((float(b["low"]), float(b["high"])) for b in PREVALENCE_BY_AGE)
    if not config.prior_shift_by_age:
        overall = survey.prior_shift(margin, y, weight, config.target_prevalence)
        return patterns.AgeShift(bands=bands, shifts=tuple(overall for _ in bands))
    shifts = []
    for band in PREVALENCE_BY_AGE:
        rows = (age >= band["low"]) & (age <= band["high"])
        shifts.append(survey.prior_shift(margin[rows], y[rows], weight[rows], band["prevalence"]))
    return patterns.AgeShift(bands=bands, shifts=tuple(shifts))


@dataclass
class ScoringParts:
    """What serving needs beside the fitted models, per model key: the prior shift by age, today's band
    cut-offs (re-derived on the shifted out-of-fold estimates: same sensitivity and specificity rule), the range's
    refit spread and model-error variance."""

    shift: dict[str, patterns.AgeShift]
    overall_shift: dict[str, float]
    thresholds: dict[str, dict[str, float]]
    spread: dict[str, SpreadModel]
    model_error: dict[str, float]
    model_error_needed: dict[str, list[float]]

    def model_sets(self, scorers: dict[str, Any], transform: Any) -> dict[str, patterns.ModelSet]:
        return {
            key: patterns.ModelSet(
                scorer=scorers[key],
                spread=self.spread[key],
                transform=transform,
                model_error=self.model_error[key],
                thresholds=self.thresholds[key],
                shift=self.shift[key],
            )
            for key in MODEL_KEYS
        }

    def as_scoring(self) -> dict[str, Any]:
        return {
            "prior_shift": {key: round(value, 6) for key, value in self.overall_shift.items()},
            "prior_shift_by_age": {key: shift.as_dict() for key, shift in self.shift.items()},
            "thresholds": self.thresholds,
            "model_error": {key: round(value, 6) for key, value in self.model_error.items()},
            "spread": {key: model.as_dict() for key, model in self.spread.items()},
        }


def scoring_parts(
    *,
    trained: TrainedModels,
    frame: pd.DataFrame,
    y: np.ndarray,
    weight: np.ndarray,
    config: TrainingConfig,
    model_error_floor: dict[str, float] | None = None,
    cycles: np.ndarray | None = None,
) -> ScoringParts:
    """`model_error_floor` (a submodel's: the full model's terms): a model that reads fewer answers is never
    credited with a smaller model error than the full one. Its own out-of-fold check sees the training years only,
    where a submodel fitted to them can look more precise than it is on a later period (v2026.12.07: 0 for the
    newest-cycle submodel, whose range then held in 2 of 10 tenths on 2017-18)."""
    spread = fit_spread_models(trained, frame, rows=config.spread_rows, random_state=config.random_state)
    z = NormalDist().inv_cdf(0.5 + config.interval_level / 2)
    transformed = LogisticScorer(trained.logistic).linear.transform(
        {key: frame[key].to_numpy() for key in FEATURE_KEYS}
    )
    age = frame["age"].to_numpy(dtype=float)
    rows = np.arange(len(y))
    grouping: dict[str, Any] = {"groups": 20}
    if config.model_error_by_cycle and cycles is not None:
        grouping = {"groups": config.model_error_groups_per_cycle, "periods": cycles}
    shift, overall, thresholds, model_error, needed = {}, {}, {}, {}, {}
    for key, margin in trained.oof_margin.items():
        variance = spread[key].variance(transformed)
        common = {"y": y, "margin": margin, "variance": variance, "weight": weight, "z": z, "rows": rows}
        model_error[key] = survey.model_error_variance(**common, level=config.interval_level, **grouping)
        if model_error_floor is not None:
            model_error[key] = max(model_error[key], model_error_floor[key])
        needed[key] = survey.model_error_needed(**common, **grouping)
        overall[key] = survey.prior_shift(margin, y, weight, config.target_prevalence)
        shift[key] = age_prior_shift(margin, y, weight, age, config=config)
        thresholds[key] = choose_thresholds(y, expit(margin + shift[key].of(age)))
    return ScoringParts(shift, overall, thresholds, spread, model_error, needed)


def current_period(
    *,
    trained: TrainedModels,
    parts: ScoringParts,
    full_sets: dict[str, patterns.ModelSet],
    sub_sets: list[dict[str, patterns.ModelSet]],
    answer_model: AnswerModel,
    estimates: dict[str, patterns.Served],
    training: pd.DataFrame,
    holdout: pd.DataFrame,
    config: TrainingConfig,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Prior shift, survey-weighted and subgroup validation, skip patterns before and after, band table today,
    the range's coverage and the groups where the model is weaker."""
    target = config.target_prevalence
    y_train = training["depressed"].to_numpy()
    w_train, _, _ = design_columns(training)
    z = NormalDist().inv_cdf(0.5 + config.interval_level / 2)
    shift = parts.overall_shift

    y = holdout["depressed"].to_numpy()
    age = holdout["age"].to_numpy(dtype=float)
    weight, stratum, psu = design_columns(holdout)
    replicates = survey.replicate_weights(
        weight, stratum, psu, replicates=config.bootstrap_replicates, seed=config.random_state
    )
    weighted, check, bands_then, bands_now, coverage = {}, {}, {}, {}, {}
    reweighted = survey.label_shift_weights(y, weight, target)
    reweighted_replicates = np.array([survey.label_shift_weights(y, w, target) for w in replicates])
    probabilities = {}
    masks = survey.subgroups(holdout)
    for key in MODEL_KEYS:
        result = estimates[key].estimate
        p = result.probability
        probabilities[key] = p
        weighted[key] = survey.weighted_summary(y, p, weight)
        weighted[key]["roc_auc_interval"] = survey._interval(
            weighted[key]["roc_auc"], survey.weighted_auc_many(y, p, replicates)
        )
        shifted = expit(result.margin + parts.shift[key].of(age))
        draws = (reweighted_replicates @ shifted) / reweighted_replicates.sum(axis=1)
        check[key] = survey._interval(float(np.average(shifted, weights=reweighted)), draws) | {"target": target}
        bands_then[key] = survey.band_table_at(
            y=y, p=p, weight=weight, thresholds=trained.thresholds[key], prevalence=float(np.average(y, weights=weight))
        )
        bands_now[key] = survey.band_table_at(
            y=y, p=shifted, weight=weight, thresholds=parts.thresholds[key], prevalence=target
        )
        served = estimates[key]
        coverage[key] = survey.range_coverage(
            y=y, p=p, low=served.low, high=served.high, weight=weight, masks=masks, min_n=config.weaker_group_min_n
        )
    log("  survey-weighted validation, prior shift and the range's coverage done")

    subgroups_by_model = {
        key: survey.subgroup_table(y=y, p=probabilities[key], weight=weight, replicates=replicates, masks=masks)
        for key in MODEL_KEYS
    }
    less_reliable = {
        key: survey.weaker_groups(table, gap=config.weaker_group_auc_gap, min_n=config.weaker_group_min_n)
        for key, table in subgroups_by_model.items()
    }
    # Which model is measurably better for whom: the model choice's suggestion reads this (predictor.choice).
    holdout_columns = {key: holdout[key].to_numpy() for key in ("sex", "age", "income_poverty_ratio")}
    differences = survey.paired_auc_differences(
        y=y,
        probabilities=probabilities,
        weight=weight,
        replicates=replicates,
        masks={rule["label"]: choice.group_mask(rule, holdout_columns) for rule in choice.GROUP_RULES},
    )
    log("  subgroup tables done")

    # Every headline on the held-out cycle with full answers and with each skip pattern blanked: before (the full
    # model with skipped answers marginalised, v2026.12.01.2's handling) and after (routed to the submodels).
    columns = {key: holdout[key].to_numpy() for key in FEATURE_KEYS}
    pattern_list = list(SUBMODEL_PATTERNS) if sub_sets else []
    skip: dict[str, Any] = {}
    coverage_blanked: dict[str, Any] = {}
    for pattern in [None, *pattern_list]:
        name = "none (answers as given)" if pattern is None else pattern.name
        blank = columns if pattern is None else patterns.blank_pattern(columns, pattern)
        skip[name] = {}
        for key in MODEL_KEYS:
            before = patterns.served_estimate(
                blank,
                full=full_sets[key],
                answer_model=answer_model,
                patterns=[],
                submodels=[],
                z=z,
                explain=False,
                shifted=False,
            )
            after = patterns.served_estimate(
                blank,
                full=full_sets[key],
                answer_model=answer_model,
                patterns=pattern_list,
                submodels=[s[key] for s in sub_sets],
                z=z,
                explain=False,
                shifted=False,
            )
            skip[name][key] = survey.paired_headlines(
                y=y,
                before=before.estimate.probability,
                after=after.estimate.probability,
                weight=weight,
                replicates=replicates,
            )
            skip[name][key]["after"]["median_width"] = float(np.median(after.high - after.low))
            skip[name][key]["before"]["median_width"] = float(np.median(before.high - before.low))
            if key == "ensemble":
                coverage_blanked[name] = survey.range_coverage(
                    y=y,
                    p=after.estimate.probability,
                    low=after.low,
                    high=after.high,
                    weight=weight,
                    masks=masks,
                    min_n=config.weaker_group_min_n,
                )
        log(f"  skip pattern {name!r}: before/after done")
    return {
        "prior_shift": {
            **PREVALENCE_SOURCE,
            "figure": target,
            "by_age": [dict(band) for band in PREVALENCE_BY_AGE] if config.prior_shift_by_age else [],
            "method": "intercept (prior-shift) update: every model's log-odds plus a constant per age band, chosen "
            "so that the exam-weighted mean estimate over the training cycles' out-of-fold predictions of the band, "
            "reweighted to the band's prevalence (positives and negatives rescaled, p(answers | screen) unchanged), "
            "equals it",
            "log_odds_shift": shift,
            "log_odds_shift_by_age": {key: value.as_dict() for key, value in parts.shift.items()},
            "training_weighted_prevalence": float(np.average(y_train, weights=w_train)),
            "holdout_check": check,
        },
        "thresholds_now": parts.thresholds,
        "survey_weighted": weighted,
        "subgroups_ensemble": subgroups_by_model["ensemble"],
        "subgroups_by_model": subgroups_by_model,
        "less_reliable": {
            "rule": f"a group of at least {config.weaker_group_min_n} people whose hold-out ROC-AUC is more than "
            f"{config.weaker_group_auc_gap:.2f} below the model's overall ROC-AUC, or whose survey-bootstrap 95 % "
            "interval lies wholly below it",
            "groups": less_reliable,
        },
        "model_differences": differences,
        "bands_2017_18": bands_then,
        "bands_now": bands_now,
        "skip_patterns": skip,
        "interval": {
            "level": config.interval_level,
            "z": z,
            "method": "delete-a-group jackknife over the cross-validation refits, emulated per person; plus the "
            "spread over the completions when answers are marginalised; plus a model-error variance per model "
            "(and per submodel), set by split conformal calibration over groups of the training cycles' "
            "out-of-fold estimates"
            + (
                f" ({config.model_error_groups_per_cycle} per cycle, each required to hold its observed share inside "
                "its mean range, so that changes between survey periods and the chance of a sample count)"
                if config.model_error_by_cycle
                else " (20, the cycles pooled)"
            ),
            "model_error": parts.model_error,
            "model_error_needed_by_group": parts.model_error_needed,
            "coverage": coverage,
            "coverage_by_pattern_blanked": coverage_blanked,
        },
    }


def _auc_calibration(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    from predictor.training.evaluation import calibration_intercept_slope

    intercept, slope = calibration_intercept_slope(y, p)
    return {
        "roc_auc": float(roc_auc_score(y, p)),
        "calibration_intercept": intercept,
        "calibration_slope": slope,
        "mean_predicted": float(np.mean(p)),
    }


def fit_baseline(frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig) -> Pipeline:
    return build_logistic(c=config.logistic_c, features=("age", "sex")).fit(frame[["age", "sex"]], y)


def missing_answer_robustness(*, scorers: dict[str, Any], frame: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
    """Held-out ROC-AUC when answers are withheld ("prefer not to say"): every optional question for each model,
    and one question at a time for the ensemble. Shows the models degrade gracefully instead of breaking."""
    from sklearn.metrics import roc_auc_score

    optional = [f.key for f in FEATURES if f.key not in ("age", "sex")]
    blank = frame.copy()
    blank[optional] = np.nan
    result: dict[str, Any] = {
        "all_optional_unanswered": {
            key: float(roc_auc_score(y, scorer.score(blank, explain=False).probability))
            for key, scorer in scorers.items()
        },
        "ensemble_one_question_unanswered": {},
    }
    for group in FACTOR_GROUPS:
        if group in ("age", "sex"):
            continue
        masked = frame.copy()
        masked[[f.key for f in FEATURES if f.group == group]] = np.nan
        probability = scorers["ensemble"].score(masked, explain=False).probability
        result["ensemble_one_question_unanswered"][group] = float(roc_auc_score(y, probability))
    return result


# --- artifact writing -------------------------------------------------------------------------------------------


def default_version(artifacts_dir: Path) -> str:
    base = "v" + datetime.now(UTC).strftime("%Y.%m.%d")
    version, n = base, 1
    while (artifacts_dir / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def _libraries() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def _cycles(summary: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {
            "cycle": cycle,
            "n": int(row.n),
            "positives": int(row.positives),
            "prevalence": round(float(row.prevalence), 4),
        }
        for cycle, row in summary.iterrows()
    ]


def check_bars(models: dict[str, dict[str, Any]], baseline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The ensemble's acceptance bars from issue 3, each with the value reached."""
    ensemble = models["ensemble"]
    best_single = max(models[k]["roc_auc"] for k in MEMBER_KEYS)
    worst_subgroup = min(v for v in ensemble["subgroup_roc_auc"].values() if v is not None)
    return {
        "roc_auc_at_least_0.82": {"value": ensemble["roc_auc"], "passed": ensemble["roc_auc"] >= 0.82},
        "roc_auc_not_below_best_single": {
            "value": ensemble["roc_auc"] - best_single,
            "passed": ensemble["roc_auc"] >= best_single - 1e-9,
        },
        "brier_below_baseline": {
            "value": ensemble["brier"] - baseline["brier"],
            "passed": ensemble["brier"] < baseline["brier"],
        },
        "calibration_slope_0.8_to_1.2": {
            "value": ensemble["calibration_slope"],
            "passed": 0.8 <= ensemble["calibration_slope"] <= 1.2,
        },
        "subgroup_roc_auc_within_0.07": {
            "value": worst_subgroup - ensemble["roc_auc"],
            "passed": worst_subgroup >= ensemble["roc_auc"] - 0.07,
        },
    }


def check_pattern_bars(today: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 25's bars for the ensemble on the held-out cycle: with the newest-cycle pattern blanked, ROC-AUC
    >= 0.750 and calibration slope 0.80-1.25; with full answers ROC-AUC >= 0.825; the range covering the observed
    share in at least 9 of 10 tenths and in every subgroup of at least 200 people."""
    skip = today["skip_patterns"]
    bars: dict[str, dict[str, Any]] = {}
    newest = next((value for name, value in skip.items() if name.startswith("newest")), None)
    if newest is not None:
        after = newest["ensemble"]["after"]
        bars["newest_cycle_roc_auc_at_least_0.750"] = {"value": after["roc_auc"], "passed": after["roc_auc"] >= 0.75}
        bars["newest_cycle_calibration_slope_0.80_to_1.25"] = {
            "value": after["calibration_slope"],
            "passed": 0.80 <= after["calibration_slope"] <= 1.25,
        }
    full = skip["none (answers as given)"]["ensemble"]["after"]
    bars["full_answers_roc_auc_at_least_0.825"] = {"value": full["roc_auc"], "passed": full["roc_auc"] >= 0.825}
    coverage = today["interval"]["coverage"]["ensemble"]
    bars["range_covers_9_of_10_tenths"] = {
        "value": coverage["tenths_covered"],
        "passed": coverage["tenths_covered"] >= 9,
    }
    bars["range_covers_every_subgroup_of_200"] = {
        "value": coverage["subgroups_covered"] - coverage["subgroups_counted"],
        "passed": coverage["subgroups_covered"] == coverage["subgroups_counted"],
    }
    return bars


def train_and_write(
    *,
    dataset: pd.DataFrame,
    artifacts_dir: Path,
    version: str | None = None,
    config: TrainingConfig | None = None,
    activate: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Train on every cycle but the held-out one, validate, and write `artifacts_dir/<version>/`."""
    config = config or TrainingConfig()
    started = time.perf_counter()
    design = [column for column in DESIGN_COLUMNS if column in dataset.columns]
    dataset = pd.concat([dataset[["cycle", "depressed", *design]], normalise_frame(dataset)], axis=1)
    if config.holdout_cycle not in set(dataset["cycle"]):
        raise ValueError(f"The held-out cycle {config.holdout_cycle!r} is not in the dataset.")
    training = dataset[dataset["cycle"] != config.holdout_cycle].reset_index(drop=True)
    holdout = dataset[dataset["cycle"] == config.holdout_cycle].reset_index(drop=True)
    frame, y = training[list(FEATURE_KEYS)], training["depressed"].to_numpy()
    log(
        f"Training on {len(training)} people from {training['cycle'].nunique()} cycles; "
        f"holding out {config.holdout_cycle} ({len(holdout)} people)."
    )

    trained = train(frame=frame, y=y, config=config, log=log)
    scorers = trained.scorers()
    answer_model = _timed(
        trained.seconds,
        "answer_model",
        fit_answer_model,
        frame,
        n_classes=config.answer_classes,
        n_slots=config.answer_slots,
        random_state=config.random_state,
    )
    w_train, _, _ = design_columns(training)
    cycles = training["cycle"].to_numpy()
    parts = scoring_parts(trained=trained, frame=frame, y=y, weight=w_train, config=config, cycles=cycles)
    transform = LogisticScorer(trained.logistic).linear
    full_sets = parts.model_sets(scorers, transform)
    log("  answer model, refit spread, prior shift by age and band cut-offs done")

    # Pattern submodels: the same recipe on the training rows with exactly the pattern's answers left out.
    submodels: list[tuple[patterns.Pattern, TrainedModels, ScoringParts]] = []
    training_columns = {key: frame[key].to_numpy() for key in FEATURE_KEYS}
    for pattern in SUBMODEL_PATTERNS if config.submodels else ():
        started_pattern = time.perf_counter()
        blanked = pd.DataFrame(patterns.blank_pattern(training_columns, pattern), columns=list(FEATURE_KEYS))
        features = tuple(key for key in FEATURE_KEYS if key not in pattern.left_out)
        sub = train(frame=blanked, y=y, config=replace(config, skip_pattern_share=0.0), features=features)
        sub_parts = scoring_parts(
            trained=sub,
            frame=blanked,
            y=y,
            weight=w_train,
            config=config,
            model_error_floor=parts.model_error,
            cycles=cycles,
        )
        submodels.append((pattern, sub, sub_parts))
        trained.seconds[f"submodel {pattern.key}"] = time.perf_counter() - started_pattern
        log(f"  submodel {pattern.name!r} trained ({time.perf_counter() - started_pattern:.0f} s)")
    sub_sets = [
        sub_parts.model_sets(sub.scorers(), LogisticScorer(sub.logistic).linear) for _, sub, sub_parts in submodels
    ]
    pattern_list = [pattern for pattern, _, _ in submodels]

    holdout_frame, holdout_y = holdout[list(FEATURE_KEYS)], holdout["depressed"].to_numpy()
    sex, age = holdout["sex"].to_numpy(), holdout["age"].to_numpy()
    # The held-out cycle is scored the way the site scores (routed to a submodel by its own skip pattern, other
    # skipped answers marginalised), without the prior shift: its people are 2017-18's.
    holdout_columns = {key: holdout_frame[key].to_numpy() for key in FEATURE_KEYS}
    z = NormalDist().inv_cdf(0.5 + config.interval_level / 2)
    estimates = {
        key: patterns.served_estimate(
            holdout_columns,
            full=full_sets[key],
            answer_model=answer_model,
            patterns=pattern_list,
            submodels=[s[key] for s in sub_sets],
            z=z,
            explain=False,
            shifted=False,
        )
        for key in MODEL_KEYS
    }
    probabilities = {key: result.estimate.probability for key, result in estimates.items()}
    baseline = fit_baseline(frame, y, config)
    probabilities["baseline"] = baseline.predict_proba(holdout_frame[["age", "sex"]])[:, 1]
    metrics = {
        key: evaluate(y=holdout_y, p=p, sex=sex, age=age, thresholds=trained.thresholds.get(key))
        for key, p in probabilities.items()
    }
    base_rate = float(y.mean())
    robustness = missing_answer_robustness(scorers=scorers, frame=holdout_frame, y=holdout_y)
    today = current_period(
        trained=trained,
        parts=parts,
        full_sets=full_sets,
        sub_sets=sub_sets,
        answer_model=answer_model,
        estimates=estimates,
        training=training,
        holdout=holdout,
        config=config,
        log=log,
    )
    for key in MODEL_KEYS:
        # "Ranks a person who screened positive above one who did not N times in 100", for the model choice.
        metrics[key]["ranks_positive_higher_per_100"] = round(100 * metrics[key]["roc_auc"])

    version = version or default_version(artifacts_dir)
    target = artifacts_dir / version
    if target.exists():
        raise FileExistsError(f"{target} already exists; pick another --version.")
    staging = artifacts_dir / f".{version}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)

    files = model_files()
    joblib.dump(trained.logistic, staging / files["logistic"], compress=3)
    joblib.dump(trained.forest, staging / files["forest"], compress=("xz", 6))
    trained.booster.save_model(staging / files["xgboost"])
    submodel_scoring = []
    for pattern, sub, sub_parts in submodels:
        sub_files = patterns.submodel_files(pattern.key, files)
        joblib.dump(sub.logistic, staging / sub_files["logistic"], compress=3)
        joblib.dump(sub.forest, staging / sub_files["forest"], compress=("xz", 6))
        sub.booster.save_model(staging / sub_files["xgboost"])
        sub_scoring = sub_parts.as_scoring()
        submodel_scoring.append(
            {
                **pattern.as_dict(),
                "files": sub_files,
                **sub.parameters(),
                "thresholds": sub_scoring["thresholds"],
                "thresholds_before_shift": sub.thresholds,
                "prior_shift": sub_scoring["prior_shift"],
                "prior_shift_by_age": sub_scoring["prior_shift_by_age"],
                "interval": {"model_error": sub_scoring["model_error"], "spread": sub_scoring["spread"]},
            }
        )
    np.savez_compressed(staging / ANSWER_MODEL_FILE, **answer_model.arrays())
    main_scoring = parts.as_scoring()
    scoring = {
        "schema_version": SCHEMA_VERSION,
        "features": list(FEATURE_KEYS),
        "tree_columns": [name for name, _ in tree_columns()],
        **trained.parameters(),
        # Band cut-offs for today: re-derived on the out-of-fold estimates shifted by age band (same rule:
        # moderate finds 80 % of positive screens, high keeps 95 % of negative ones below it).
        "thresholds": main_scoring["thresholds"],
        "thresholds_before_shift": trained.thresholds,
        "prior_shift": main_scoring["prior_shift"],
        "prior_shift_by_age": main_scoring["prior_shift_by_age"],
        # The base rate shown beside a result: the prevalence the estimates are calibrated to.
        "base_rate": config.target_prevalence,
        "training_base_rate": base_rate,
        "answer_model": answer_model.settings(),
        "interval": {
            "level": config.interval_level,
            "z": z,
            "model_error": main_scoring["model_error"],
            "spread": main_scoring["spread"],
        },
        "submodels": submodel_scoring,
    }
    (staging / SCORING_FILE).write_text(json.dumps(scoring, indent=2) + "\n")

    from predictor.training.report import write_model_card, write_plots  # matplotlib is only needed here

    write_plots(out_dir=staging, y=holdout_y, probabilities=probabilities)
    summary = cycle_summary(dataset)
    model_metrics = {key: metrics[key] for key in MODEL_KEYS}
    manifest: dict[str, Any] = {
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_version": SCHEMA_VERSION,
        "libraries": _libraries(),
        "outcome": "PHQ-9 total >= 10 (positive depression screen), adults 18+",
        "data": {
            "source": "NHANES public-use files, CDC/NCHS (public domain)",
            "training_cycles": _cycles(summary.drop(index=config.holdout_cycle)),
            "holdout_cycle": _cycles(summary.loc[[config.holdout_cycle]])[0],
            "n_training": len(training),
            "n_holdout": len(holdout),
        },
        "protocol": f"stratified {config.folds}-fold cross-validation on the training cycles gives the "
        "out-of-fold predictions that fit the tree models' Platt calibration, the ensemble's combination weights "
        "and the band cut-offs; the held-out cycle is scored once, after all fitting.",
        "config": asdict(config),
        "base_rate": config.target_prevalence,
        "training_base_rate": base_rate,
        "thresholds": scoring["thresholds"],
        "thresholds_before_shift": trained.thresholds,
        "ensemble": scoring["ensemble"],
        "platt": scoring["platt"],
        "metrics": {**model_metrics, "baseline": metrics["baseline"]},
        "bars": check_bars(model_metrics, metrics["baseline"]),
        "bars_patterns": check_pattern_bars(today),
        "submodels": [
            {
                **entry,
                "used_questions": patterns.Pattern.from_dict(entry).used_questions,
                "validation_2017_18_pattern_blanked": today["skip_patterns"].get(entry["name"], {}),
                "training_seconds": round(trained.seconds.get(f"submodel {entry['key']}", 0.0), 2),
            }
            for entry in (
                {key: value for key, value in item.items() if key in ("key", "name", "left_out", "merge", "files")}
                for item in submodel_scoring
            )
        ],
        "robustness": robustness,
        "current_period": {key: value for key, value in today.items() if key != "thresholds_now"},
        "training_seconds": {key: round(value, 2) for key, value in trained.seconds.items()},
    }
    manifest["training_seconds"]["total"] = round(time.perf_counter() - started, 2)
    write_model_card(out_dir=staging, manifest=manifest)
    manifest["files"] = file_entries(staging)
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    staging.rename(target)
    if activate:
        (artifacts_dir / ACTIVE_FILE).write_text(version + "\n")
    return manifest


def validation_table(manifest: dict[str, Any]) -> str:
    """Plain-text table of the held-out metrics, printed by `train_models`."""
    rows = ["model      ROC-AUC  PR-AUC  Brier   cal.int  cal.slope  AUC F/M       AUC 18-39/40-59/60+"]
    for key, m in manifest["metrics"].items():
        sub = m["subgroup_roc_auc"]
        rows.append(
            f"{key:<10} {m['roc_auc']:.3f}    {m['pr_auc']:.3f}   {m['brier']:.4f}  {m['calibration_intercept']:+.3f}"
            f"   {m['calibration_slope']:.3f}      {sub['sex=female']:.3f}/{sub['sex=male']:.3f}   "
            f"{sub['age=18-39']:.3f}/{sub['age=40-59']:.3f}/{sub['age=60+']:.3f}"
        )
    rows.append("")
    rows.append("band cut-offs (chosen on cross-validation), on the held-out cycle:")
    for key in MODEL_KEYS:
        for band, stats in manifest["metrics"][key]["bands"].items():
            rows.append(
                f"{key:<10} {band:<9} p>={stats['threshold']:.3f}  sensitivity {stats['sensitivity']:.3f}  "
                f"specificity {stats['specificity']:.3f}  PPV {stats['ppv']:.3f}  flagged {stats['flagged_share']:.3f}"
            )
    rows.append("")
    for name, bar in manifest["bars"].items():
        rows.append(f"ensemble bar {name}: {'PASS' if bar['passed'] else 'FAIL'} ({bar['value']:+.4f})")
    rows.append("")
    rows.append(patterns_table(manifest))
    for name, bar in manifest.get("bars_patterns", {}).items():
        rows.append(f"ensemble bar {name}: {'PASS' if bar['passed'] else 'FAIL'} ({bar['value']:+.4f})")
    return "\n".join(rows)


def patterns_table(manifest: dict[str, Any]) -> str:
    """Every headline on the held-out cycle, full answers and each skip pattern blanked, before (the full model,
    skipped answers marginalised) and after (pattern submodels), with the paired bootstrap 95 % interval."""

    def interval(d: dict[str, Any], digits: int = 3) -> str:
        if d["low"] is None:
            return f"{d['value']:+.{digits}f}"
        return f"{d['value']:+.{digits}f} [{d['low']:+.{digits}f}, {d['high']:+.{digits}f}]"

    rows = [
        "2017-18, survey-weighted; before = full model with skipped answers marginalised, after = pattern "
        "submodels; differences after - before with paired bootstrap 95 % intervals",
        "pattern                        model      AUC bef/aft    dAUC                       slope bef/aft  dslope"
        "                      Brier bef/aft    dBrier",
    ]
    for name, by_model in manifest["current_period"]["skip_patterns"].items():
        for key, h in by_model.items():
            before, after, d = h["before"], h["after"], h["difference"]
            rows.append(
                f"{name[:30]:<30} {key:<10} {before['roc_auc']:.3f}/{after['roc_auc']:.3f}  "
                f"{interval(d['roc_auc']):<26} {before['calibration_slope']:.2f}/{after['calibration_slope']:.2f}    "
                f"{interval(d['calibration_slope'], 2):<27} {before['brier']:.4f}/{after['brier']:.4f}  "
                f"{interval(d['brier'], 4)}"
            )
    return "\n".join(rows)
