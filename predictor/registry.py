"""The artifact registry: load, verify and cache the active model version.

The active version (settings.PREDICTOR_ACTIVE_VERSION, else the name in ml_artifacts/ACTIVE) is loaded once per
process. Before anything is unpickled, every file the manifest lists is hashed and compared with the manifest, and
every file the scorers need must be listed (`predictor.artifacts`): a missing or altered file is refused with
`ArtifactError`. Scoring itself is `predictor.services`.

Nothing here logs answers or probabilities.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import xgboost as xgb

from predictor import catalogue
from predictor.artifacts import (
    ANSWER_MODEL_FILE,
    MANIFEST_FILE,
    SCORING_FILE,
    active_version,
    artifacts_dir,
    verified_manifest,
)
from predictor.exceptions import ArtifactError
from predictor.features import answers_to_frame
from predictor.imputation import AnswerModel, SpreadModel
from predictor.patterns import AgeShift, ModelSet, Pattern
from predictor.schema import QUESTIONS, SCHEMA_VERSION
from predictor.scorers import LogisticScorer, Scorer, build_scorers

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedVersion:
    version: str
    directory: Path
    manifest: dict[str, Any]
    scoring: dict[str, Any]
    scorers: dict[str, Scorer]
    # Absent from versions trained before skipped answers were marginalised: they pass blanks to the models.
    answer_model: AnswerModel | None = None
    spread: dict[str, SpreadModel] = field(default_factory=dict)
    # Pattern submodels (predictor.patterns), absent before v3: each pattern with its model sets per model key.
    patterns: list[Pattern] = field(default_factory=list)
    submodels: list[dict[str, ModelSet]] = field(default_factory=list)

    def thresholds(self, model_key: str) -> dict[str, float]:
        return self.scoring["thresholds"][model_key]

    def shift(self, model_key: str) -> float:
        """The overall prior shift (versions before the shift by age band use it for everyone)."""
        return float(self.scoring.get("prior_shift", {}).get(model_key, 0.0))

    def model_set(self, model_key: str) -> ModelSet:
        """The full model's scorer, range parts, band cut-offs and prior shift (by age band where trained so)."""
        logistic = self.scorers.get("logistic")
        interval = self.scoring.get("interval", {})
        by_age = self.scoring.get("prior_shift_by_age", {}).get(model_key)
        return ModelSet(
            scorer=self.scorers[model_key],
            spread=self.spread.get(model_key),
            transform=logistic.linear if isinstance(logistic, LogisticScorer) else None,
            # Versions before the model-error term have none: their range is the refit spread alone.
            model_error=float(interval.get("model_error", {}).get(model_key, 0.0)),
            thresholds=self.thresholds(model_key),
            shift=AgeShift.from_dict(by_age) if by_age else self.shift(model_key),
        )


def load_version(*, directory: Path) -> LoadedVersion:
    """Verify and load one artifact directory. Raises `ArtifactError` before unpickling anything suspicious."""
    manifest = verified_manifest(directory)
    scoring = json.loads((directory / SCORING_FILE).read_text())
    if scoring.get("schema_version") != SCHEMA_VERSION:
        raise ArtifactError(
            f"Model version {directory.name!r} was trained for questionnaire schema "
            f"{scoring.get('schema_version')!r}, but the site serves {SCHEMA_VERSION!r}; retrain or activate "
            "a matching version."
        )
    try:
        fitted = {entry.key: _load_model(directory / entry.file, entry.kind) for entry in catalogue.single_models()}
    except Exception as error:  # a verified file that still fails to load means a library mismatch
        raise ArtifactError(
            f"Model version {directory.name!r} could not be loaded with the installed libraries "
            f"(trained with {manifest.get('libraries')}): {error}"
        ) from error
    scorers = build_scorers(fitted=fitted, parameters=scoring)
    for key, scorer in scorers.items():
        if isinstance(scorer, LogisticScorer) and not scorer.matches_pipeline(answers_to_frame(_probe_answers())):
            raise ArtifactError(
                f"Model version {directory.name!r}: the fast transform of {key!r} disagrees with its "
                "scikit-learn Pipeline (a library change?); retrain the version."
            )
    answer_model, spread = _answer_model(directory, manifest, scoring)
    patterns, submodels = _submodels(directory, manifest, scoring)
    logger.info("predictor: loaded model version %s", manifest["version"])
    return LoadedVersion(
        version=manifest["version"],
        directory=directory,
        manifest=manifest,
        scoring=scoring,
        scorers=scorers,
        answer_model=answer_model,
        spread=spread,
        patterns=patterns,
        submodels=submodels,
    )


def _submodels(
    directory: Path, manifest: dict[str, Any], scoring: dict[str, Any]
) -> tuple[list[Pattern], list[dict[str, ModelSet]]]:
    """The pattern submodels a version holds (none before v3), verified like the full models."""
    patterns, sets = [], []
    for entry in scoring.get("submodels", []):
        pattern = Pattern.from_dict(entry)
        missing = [name for name in entry["files"].values() if name not in manifest["files"]]
        if missing:
            raise ArtifactError(f"Model version {directory.name!r}: {missing} not listed in the manifest.")
        try:
            fitted = {
                single.key: _load_model(directory / entry["files"][single.key], single.kind)
                for single in catalogue.single_models()
            }
        except Exception as error:
            raise ArtifactError(
                f"Model version {directory.name!r}: submodel {pattern.key!r} could not be loaded: {error}"
            ) from error
        scorers = build_scorers(fitted=fitted, parameters=entry)
        logistic = scorers.get("logistic")
        transform = logistic.linear if isinstance(logistic, LogisticScorer) else None
        interval = entry.get("interval", {})
        sets.append(
            {
                key: ModelSet(
                    scorer=scorer,
                    spread=_spread_model(interval.get("spread", {}).get(key)),
                    transform=transform,
                    model_error=float(interval.get("model_error", {}).get(key, 0.0)),
                    thresholds=entry["thresholds"][key],
                    shift=AgeShift.from_dict(entry["prior_shift_by_age"][key]),
                )
                for key, scorer in scorers.items()
            }
        )
        patterns.append(pattern)
    return patterns, sets


def _spread_model(values: dict[str, Any] | None) -> SpreadModel | None:
    if not values:
        return None
    return SpreadModel(intercept=float(values["intercept"]), coef=np.asarray(values["coef"], dtype=np.float64))


def _load_model(path: Path, kind: str) -> Any:
    if kind == "xgboost":
        booster = xgb.Booster()
        booster.load_model(path)
        # One thread: scoring runs inside web and worker processes that already use every core.
        booster.set_param({"nthread": 1})
        return booster
    model = joblib.load(path)
    if hasattr(model, "n_jobs"):
        model.n_jobs = 1
    return model


def _answer_model(
    directory: Path, manifest: dict[str, Any], scoring: dict[str, Any]
) -> tuple[AnswerModel | None, dict[str, SpreadModel]]:
    """The answer model (arrays without pickles) and the refit-spread models, if the version has them."""
    if "answer_model" not in scoring:
        return None, {}
    if ANSWER_MODEL_FILE not in manifest["files"]:
        raise ArtifactError(f"Model version {directory.name!r}: {ANSWER_MODEL_FILE} not listed in the manifest.")
    with np.load(directory / ANSWER_MODEL_FILE, allow_pickle=False) as arrays:
        answer_model = AnswerModel.from_parts(scoring["answer_model"], {key: arrays[key] for key in arrays.files})
    spread = {
        key: SpreadModel(intercept=float(values["intercept"]), coef=np.asarray(values["coef"], dtype=np.float64))
        for key, values in scoring.get("interval", {}).get("spread", {}).items()
    }
    return answer_model, spread


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
    return version_named(active_version())


def version_named(name: str) -> LoadedVersion:
    """A stored version by name (the active one or an earlier one), verified and loaded once per process.

    Raises `ArtifactError` when it is not in the artifacts directory or cannot be loaded (another questionnaire
    schema, a library that no longer reads it)."""
    if not name or Path(name).name != name or name.startswith("."):
        raise ArtifactError(f"No model version named {name!r}.")
    directory = artifacts_dir() / name
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


_manifests: dict[Path, dict[str, Any] | None] = {}


def manifest_of_version(version: str) -> dict[str, Any] | None:
    """A version's manifest.json as figures to show (no model is loaded), or None if it is not on disk. Version
    directories never change once written, so each is read once per process."""
    if not version or "/" in version or version.startswith("."):
        return None
    path = artifacts_dir() / version / MANIFEST_FILE
    if path not in _manifests:
        try:
            _manifests[path] = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
    return _manifests[path]
