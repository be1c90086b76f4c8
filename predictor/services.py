"""The predictor's public surface: the only predictor module other apps import (an import-linter contract says so).

Scoring (`predict`, `predict_many`), the catalogue of models with their prices and validation figures, the
questionnaire schema and the errors callers catch. Nothing imported from here loads training code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from predictor import catalogue
from predictor.artifacts import active_version
from predictor.catalogue import RISK_BANDS, band_choices, model_choices, model_keys, price, prices
from predictor.exceptions import AnswersInvalid, ArtifactError, PredictorError, UnknownModel
from predictor.explanations import factors as word_factors
from predictor.features import answers_to_columns
from predictor.registry import loaded_version
from predictor.schema import (
    NONE_OF_THESE,
    QUESTIONS,
    SCHEMA_VERSION,
    SECTIONS,
    Question,
    body_size_warning,
    schema_as_dict,
    validate_answers,
)
from predictor.whatifs import what_if_answers, what_if_results

__all__ = [
    "NONE_OF_THESE",
    "QUESTIONS",
    "RISK_BANDS",
    "SCHEMA_VERSION",
    "SECTIONS",
    "AnswersInvalid",
    "ArtifactError",
    "Prediction",
    "PredictorError",
    "Question",
    "UnknownModel",
    "active_version",
    "band_choices",
    "body_size_warning",
    "catalogue_summary",
    "loaded_model_version",
    "model_catalogue",
    "model_choices",
    "model_keys",
    "model_name",
    "predict",
    "predict_many",
    "predict_with_what_ifs",
    "price",
    "prices",
    "schema_as_dict",
    "validate_answers",
    "what_if_answers",
    "what_if_results",
]

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


def loaded_model_version() -> str:
    """Verify and load the active version (once per process) and name it; raises `ArtifactError` if it cannot."""
    return loaded_version().version


def model_name(key: str) -> str:
    return catalogue.name_of(key)


def _known(model_key: str) -> None:
    if model_key not in model_keys():
        raise UnknownModel(model_key, model_keys())


def _risk_band(probability: float, thresholds: dict[str, float]) -> str:
    if probability >= thresholds["high"]:
        return "high"
    if probability >= thresholds["moderate"]:
        return "moderate"
    return "low"


def predict_many(model_key: str, answers_list: Sequence[dict[str, Any]], *, explain: bool = True) -> list[Prediction]:
    """Score cleaned answers (the output of `validate_answers`) with one model, in one vectorised pass."""
    _known(model_key)
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


def predict_with_what_ifs(model_key: str, answers: dict[str, Any]) -> tuple[Prediction, list[dict[str, Any]]]:
    """The person's prediction and its what-ifs (`predictor.whatifs`), scored together as rows of one vectorised
    call of the same model: the what-ifs cost no extra model call, and each is the model's own output."""
    what_ifs = what_if_answers(answers)
    predictions = predict_many(model_key, [answers, *(w.answers for w in what_ifs)])
    return predictions[0], what_if_results(what_ifs, predictions[1:])


def explain_margins(model_key: str, answers_list: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The raw decomposition (base, per-question contributions, margin) behind `predict_many`, for audits/tests."""
    _known(model_key)
    scored = loaded_version().scorers[model_key].score(answers_to_columns(answers_list))
    return {"base": scored.base, "contributions": scored.contributions, "margin": scored.margin}


def model_catalogue() -> list[dict[str, Any]]:
    """Key, name, description, cost in credits, version and headline held-out metrics of every model."""
    version = loaded_version()
    metrics = version.manifest["metrics"]
    return [
        {
            "key": entry.key,
            "name": entry.name,
            "description": catalogue.describe(entry.key, version.manifest),
            "cost": price(entry.key),
            "version": version.version,
            "metrics": {name: metrics[entry.key][name] for name in HEADLINE_METRICS},
            "risk_band_thresholds": version.thresholds(entry.key),
        }
        for entry in catalogue.models()
    ]


def catalogue_summary() -> dict[str, Any]:
    """The `/models/` body: the active version, the base rate and every model."""
    version = loaded_version()
    return {"version": version.version, "base_rate": version.scoring["base_rate"], "models": model_catalogue()}
