"""The predictor's public service surface; other apps import from here."""

from predictor.registry import (
    MODEL_KEYS,
    Prediction,
    active_version,
    model_catalogue,
    predict,
    predict_many,
)
from predictor.schema import QUESTIONS, SCHEMA_VERSION, SECTIONS, schema_as_dict, validate_answers

__all__ = [
    "MODEL_KEYS",
    "QUESTIONS",
    "SCHEMA_VERSION",
    "SECTIONS",
    "Prediction",
    "active_version",
    "model_catalogue",
    "predict",
    "predict_many",
    "schema_as_dict",
    "validate_answers",
]
