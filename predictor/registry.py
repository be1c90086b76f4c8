"""The artifact registry and scoring service.

The active version (settings.PREDICTOR_ACTIVE_VERSION, else the name in ml_artifacts/ACTIVE) is loaded once per
process. Before anything is unpickled, every file the manifest lists is hashed and compared with the manifest, and
every file the scorers need must be listed: a missing or altered file is refused with `ArtifactError`.

Nothing here logs answers or probabilities.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import xgboost as xgb
from django.conf import settings

from predictor.exceptions import ArtifactError, UnknownModel
from predictor.explanations import factors as word_factors
from predictor.features import answers_to_columns, answers_to_frame
from predictor.schema import QUESTIONS, SCHEMA_VERSION
from predictor.scorers import BoosterScorer, EnsembleScorer, ForestScorer, LogisticScorer, Platt, Scorer
from predictor.training.report import MODEL_DESCRIPTIONS, MODEL_NAMES
from predictor.training.train import ACTIVE_FILE, MANIFEST_FILE, MEMBER_KEYS, MODEL_FILES, MODEL_KEYS, SCORING_FILE

__all__ = [
    "MODEL_KEYS",
    "LoadedVersion",
    "Prediction",
    "active_version",
    "artifacts_dir",
    "load_version",
    "model_catalogue",
    "predict",
    "predict_many",
]

logger = logging.getLogger(__name__)

RISK_BANDS = ("low", "moderate", "high")
HEADLINE_METRICS = ("roc_auc", "pr_auc", "brier", "calibration_slope")


@dataclass(frozen=True)
class Prediction:
    probability: float
    risk_band: str  # "low" | "moderate" | "high"
    factors: list[dict[str, Any]]
    model_version: str
    base_rate: float
    model_key: str = ""
    thresholds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadedVersion:
    version: str
    directory: Path
    manifest: dict[str, Any]
    scoring: dict[str, Any]
    scorers: dict[str, Scorer]

    def thresholds(self, model_key: str) -> dict[str, float]:
        return self.scoring["thresholds"][model_key]


def artifacts_dir() -> Path:
    return Path(settings.ML_ARTIFACTS_DIR)


def active_version() -> str:
    configured = getattr(settings, "PREDICTOR_ACTIVE_VERSION", "")
    if configured:
        return configured
    pointer = artifacts_dir() / ACTIVE_FILE
    try:
        version = pointer.read_text().strip()
    except FileNotFoundError:
        raise ArtifactError(
            f"No active model version: set PREDICTOR_ACTIVE_VERSION or write a version name into "
            f"{ACTIVE_FILE} in the artifacts directory."
        ) from None
    if not version:
        raise ArtifactError(f"{ACTIVE_FILE} in the artifacts directory is empty.")
    return version


def _verified_manifest(directory: Path) -> dict[str, Any]:
    from predictor.training.train import sha256_of

    manifest_path = directory / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ArtifactError(f"Model version {directory.name!r} has no {MANIFEST_FILE}.")
    try:
        manifest = json.loads(manifest_path.read_text())
        listed: dict[str, dict[str, Any]] = manifest["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactError(f"The {MANIFEST_FILE} of model version {directory.name!r} is unreadable.") from error
    required = {*MODEL_FILES.values(), SCORING_FILE}
    unlisted = sorted(required - set(listed))
    if unlisted:
        raise ArtifactError(f"Model version {directory.name!r}: {', '.join(unlisted)} not listed in the manifest.")
    for name, entry in sorted(listed.items()):
        path = directory / name
        if Path(name).name != name:
            raise ArtifactError(f"Model version {directory.name!r}: manifest lists a path outside the version.")
        if not path.is_file():
            raise ArtifactError(f"Model version {directory.name!r}: file {name} is missing.")
        if sha256_of(path) != entry.get("sha256"):
            raise ArtifactError(
                f"Model version {directory.name!r}: file {name} does not match the SHA-256 in its manifest; "
                "refusing to load it (was it edited or replaced?)."
            )
    return manifest


def load_version(*, directory: Path) -> LoadedVersion:
    """Verify and load one artifact directory. Raises `ArtifactError` before unpickling anything suspicious."""
    manifest = _verified_manifest(directory)
    scoring = json.loads((directory / SCORING_FILE).read_text())
    if scoring.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"Model version {directory.name!r} was trained for questionnaire schema "
            f"{scoring.get('schema_version')!r}, but the site serves {SCHEMA_VERSION!r}; retrain or activate "
            "a matching version."
        )
    try:
        logistic = joblib.load(directory / MODEL_FILES["logistic"])
        forest = joblib.load(directory / MODEL_FILES["forest"])
        booster = xgb.Booster()
        booster.load_model(directory / MODEL_FILES["xgboost"])
    except Exception as error:  # a verified file that still fails to load means a library mismatch
        raise ArtifactError(
            f"Model version {directory.name!r} could not be loaded with the installed libraries "
            f"(trained with {manifest.get('libraries')}): {error}"
        ) from error
    # One thread: scoring runs inside web and worker processes that already use every core.
    booster.set_param({"nthread": 1})
    if hasattr(forest, "n_jobs"):
        forest.n_jobs = 1
    platt = {key: Platt(**values) for key, values in scoring["platt"].items()}
    members: dict[str, LogisticScorer | ForestScorer | BoosterScorer] = {
        "logistic": LogisticScorer(logistic),
        "forest": ForestScorer(forest, platt["forest"]),
        "xgboost": BoosterScorer(booster, platt["xgboost"]),
    }
    if not members["logistic"].matches_pipeline(answers_to_frame(_probe_answers())):
        raise ArtifactError(
            f"Model version {directory.name!r}: the fast logistic transform disagrees with its scikit-learn "
            "Pipeline (a library change?); retrain the version."
        )
    weights = {key: float(scoring["ensemble"]["weights"][key]) for key in MEMBER_KEYS}
    ensemble = EnsembleScorer(members, weights, float(scoring["ensemble"]["intercept"]))
    logger.info("predictor: loaded model version %s", manifest["version"])
    return LoadedVersion(
        version=manifest["version"],
        directory=directory,
        manifest=manifest,
        scoring=scoring,
        scorers={**members, "ensemble": ensemble},
    )


def _probe_answers() -> list[dict[str, Any]]:
    """Two people for the load-time self-check: everything optional unanswered, and everything answered."""
    answered: dict[str, Any] = {}
    for question in QUESTIONS:
        if question.kind in ("integer", "number"):
            low, high = question.min_value or 0, question.max_value or 100
            answered[question.key] = round((low + min(high, low + 40)) / 2)
        elif question.kind == "choice":
            answered[question.key] = question.choices[-1][0]
        else:
            answered[question.key] = [question.choices[0][0]]
    unanswered = {q.key: None for q in QUESTIONS} | {"age": 40, "sex": "female"}
    return [unanswered, answered]


_lock = threading.Lock()
_cache: dict[Path, LoadedVersion] = {}


def loaded_version() -> LoadedVersion:
    """The active version, loaded once per process (and again only if the active version changes)."""
    directory = artifacts_dir() / active_version()
    cached = _cache.get(directory)
    if cached is not None:
        return cached
    with _lock:
        if directory not in _cache:
            if not directory.is_dir():
                raise ArtifactError(f"The active model version {directory.name!r} has no artifact directory.")
            _cache[directory] = load_version(directory=directory)
        return _cache[directory]


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _risk_band(probability: float, thresholds: dict[str, float]) -> str:
    if probability >= thresholds["high"]:
        return "high"
    if probability >= thresholds["moderate"]:
        return "moderate"
    return "low"


def predict_many(model_key: str, answers_list: Sequence[dict[str, Any]], *, explain: bool = True) -> list[Prediction]:
    """Score cleaned answers (the output of `validate_answers`) with one model, in one vectorised pass."""
    if model_key not in MODEL_KEYS:
        raise UnknownModel(model_key, MODEL_KEYS)
    version = loaded_version()
    if not answers_list:
        return []
    scored = version.scorers[model_key].score(answers_to_columns(answers_list), explain=explain)
    probabilities = scored.probability
    thresholds = version.thresholds(model_key)
    base_rate = float(version.scoring["base_rate"])
    return [
        Prediction(
            probability=float(probabilities[i]),
            risk_band=_risk_band(float(probabilities[i]), thresholds),
            factors=word_factors(answers, scored.contributions[i]) if scored.contributions is not None else [],
            model_version=version.version,
            base_rate=base_rate,
            model_key=model_key,
            thresholds=dict(thresholds),
        )
        for i, answers in enumerate(answers_list)
    ]


def predict(model_key: str, answers: dict[str, Any]) -> Prediction:
    """Score one person's cleaned answers: probability, band, the factors behind it and the model version."""
    return predict_many(model_key, [answers])[0]


def explain_margins(model_key: str, answers_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The raw decomposition (base, per-question contributions, margin) behind `predict_many`, for audits/tests."""
    if model_key not in MODEL_KEYS:
        raise UnknownModel(model_key, MODEL_KEYS)
    scored = loaded_version().scorers[model_key].score(answers_to_columns(answers_list))
    return {"base": scored.base, "contributions": scored.contributions, "margin": scored.margin}


def model_catalogue() -> list[dict[str, Any]]:
    """Key, name, description, cost in credits, version and headline held-out metrics of every model."""
    version = loaded_version()
    costs = getattr(settings, "PREDICTOR_MODEL_COSTS", {})
    metrics = version.manifest["metrics"]
    return [
        {
            "key": key,
            "name": MODEL_NAMES[key],
            "description": MODEL_DESCRIPTIONS[key],
            "cost": int(costs.get(key, 0)),
            "version": version.version,
            "metrics": {name: metrics[key][name] for name in HEADLINE_METRICS},
            "risk_band_thresholds": version.thresholds(key),
        }
        for key in MODEL_KEYS
    ]
