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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
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
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from predictor import catalogue
from predictor.artifacts import ACTIVE_FILE, MANIFEST_FILE, SCORING_FILE, file_entries, model_files
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
from predictor.schema import SCHEMA_VERSION
from predictor.scorers import BoosterScorer, ForestScorer, LogisticScorer, Platt, Scorer, build_scorers
from predictor.training.dataset import cycle_summary
from predictor.training.evaluation import choose_thresholds, evaluate

MODEL_KEYS = catalogue.model_keys()
# This training fits one model of each kind below and one ensemble of them.
MEMBER_KEYS = next(entry.members for entry in catalogue.models() if entry.is_ensemble)


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


def fit_logistic(frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig) -> Pipeline:
    return build_logistic(c=config.logistic_c).fit(frame, y)


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

    def parameters(self) -> dict[str, Any]:
        """The calibration and ensemble parameters, as scoring.json stores them."""
        return {
            "platt": {key: platt.as_dict() for key, platt in self.platt.items()},
            "ensemble": {"intercept": self.ensemble_intercept, "weights": self.ensemble_weights},
        }

    def scorers(self) -> dict[str, Scorer]:
        fitted = {"logistic": self.logistic, "forest": self.forest, "xgboost": self.booster}
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


def train(
    *, frame: pd.DataFrame, y: np.ndarray, config: TrainingConfig, log: Callable[[str], None] = lambda message: None
) -> TrainedModels:
    seconds: dict[str, float] = {}
    oof = {key: np.zeros(len(y)) for key in MEMBER_KEYS}
    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.random_state)
    for fold, (fit_index, out_index) in enumerate(folds.split(frame, y), start=1):
        fit_frame, fit_y, out_frame = frame.iloc[fit_index], y[fit_index], frame.iloc[out_index]
        logistic = _timed(seconds, "logistic", fit_logistic, fit_frame, fit_y, config)
        forest = _timed(seconds, "forest", fit_forest, fit_frame, fit_y, config)
        booster = _timed(seconds, "xgboost", fit_booster, fit_frame, fit_y, config)
        for key, score in _raw_scores(out_frame, logistic, forest, booster).items():
            oof[key][out_index] = score
        log(f"  cross-validation fold {fold}/{config.folds} done")

    platt = {"logistic": Platt(), "forest": fit_platt(oof["forest"], y), "xgboost": fit_platt(oof["xgboost"], y)}
    calibrated = np.column_stack([platt[k].a * oof[k] + platt[k].b for k in MEMBER_KEYS])
    intercept, weights = _timed(seconds, "ensemble", fit_stacker, calibrated, y, method=config.ensemble)
    oof_probability = {k: expit(calibrated[:, i]) for i, k in enumerate(MEMBER_KEYS)}
    ensemble_margin = intercept + calibrated @ np.array([weights[k] for k in MEMBER_KEYS])
    oof_probability["ensemble"] = expit(ensemble_margin)
    thresholds = {key: choose_thresholds(y, p) for key, p in oof_probability.items()}

    logistic = _timed(seconds, "logistic", fit_logistic, frame, y, config)
    forest = _timed(seconds, "forest", fit_forest, frame, y, config)
    booster = _timed(seconds, "xgboost", fit_booster, frame, y, config)
    # The ensemble needs its members, so its training time includes theirs.
    seconds["ensemble"] = seconds["ensemble"] + seconds["logistic"] + seconds["forest"] + seconds["xgboost"]
    return TrainedModels(logistic, forest, booster, platt, intercept, weights, thresholds, seconds)


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
    dataset = pd.concat([dataset[["cycle", "depressed"]], normalise_frame(dataset)], axis=1)
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
    holdout_frame, holdout_y = holdout[list(FEATURE_KEYS)], holdout["depressed"].to_numpy()
    sex, age = holdout["sex"].to_numpy(), holdout["age"].to_numpy()
    probabilities = {key: scorer.score(holdout_frame).probability for key, scorer in scorers.items()}
    baseline = fit_baseline(frame, y, config)
    probabilities["baseline"] = baseline.predict_proba(holdout_frame[["age", "sex"]])[:, 1]
    metrics = {
        key: evaluate(y=holdout_y, p=p, sex=sex, age=age, thresholds=trained.thresholds.get(key))
        for key, p in probabilities.items()
    }
    base_rate = float(y.mean())
    robustness = missing_answer_robustness(scorers=scorers, frame=holdout_frame, y=holdout_y)

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
    scoring = {
        "schema_version": SCHEMA_VERSION,
        "features": list(FEATURE_KEYS),
        "tree_columns": [name for name, _ in tree_columns()],
        **trained.parameters(),
        "thresholds": trained.thresholds,
        "base_rate": base_rate,
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
        "base_rate": base_rate,
        "thresholds": trained.thresholds,
        "ensemble": scoring["ensemble"],
        "platt": scoring["platt"],
        "metrics": {**model_metrics, "baseline": metrics["baseline"]},
        "bars": check_bars(model_metrics, metrics["baseline"]),
        "robustness": robustness,
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
    return "\n".join(rows)
