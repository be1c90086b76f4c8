"""Predictor fixtures: a small synthetic survey and models trained on it once per test session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predictor import registry
from predictor.features import CATEGORIES, CONDITION_KEYS, FEATURE_KEYS
from predictor.training.train import TrainingConfig, train_and_write

SYNTHETIC_CYCLES = ("2011-2012", "2013-2014", "2015-2016")
SMALL_CONFIG = TrainingConfig(
    holdout_cycle="2015-2016",
    forest={"n_estimators": 12, "max_depth": 5, "min_samples_leaf": 10, "max_features": 0.5, "max_samples": 0.7},
    xgboost_rounds=25,
    folds=3,
    n_jobs=1,
    answer_classes=8,
    answer_slots=16,
    spread_rows=1000,
    bootstrap_replicates=40,
)


def synthetic_dataset(*, rows_per_cycle: int = 700, seed: int = 7) -> pd.DataFrame:
    """Survey-shaped rows whose outcome depends on a few answers, with answers missing now and then."""
    rng = np.random.default_rng(seed)
    frames = []
    for cycle in SYNTHETIC_CYCLES:
        n = rows_per_cycle
        frame = pd.DataFrame(
            {
                "age": rng.integers(18, 81, n).astype(float),
                "household_size": rng.integers(1, 8, n).astype(float),
                "income_poverty_ratio": rng.uniform(0, 5, n).round(2),
                "alcohol_drinks_per_day": rng.integers(0, 8, n).astype(float),
                "sitting_hours": rng.uniform(1, 14, n).round(1),
                "sleep_hours": rng.normal(7, 1.3, n).clip(2, 14).round(1),
                "bmi": rng.normal(28, 5, n).clip(15, 60),
            }
        )
        for key, values in CATEGORIES.items():
            frame[key] = rng.choice(values, n)
        for key in CONDITION_KEYS:
            frame[f"condition_{key}"] = (rng.random(n) < 0.15).astype(float)
        health = frame["general_health"].map(
            {"excellent": -1.2, "very_good": -0.6, "good": 0, "fair": 0.8, "poor": 1.6}
        )
        logit = (
            -2.6
            + health
            + 0.9 * (frame["sleep_trouble_told_doctor"] == "yes")
            + 0.35 * (7 - frame["sleep_hours"]).clip(lower=0)
            - 0.25 * frame["income_poverty_ratio"]
            + 0.5 * (frame["sex"] == "female")
        )
        frame["depressed"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        # Whole answers missing at random, as "prefer not to say" and as absent survey modules.
        for key in ("education", "income_poverty_ratio", "diet_quality", "sleep_hours", "employment"):
            frame.loc[rng.random(n) < 0.1, key] = np.nan
        frame.insert(0, "cycle", cycle)
        frame.insert(1, "seqn", np.arange(n))
        frame["phq9_total"] = frame["depressed"] * 12
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    return data[["cycle", "seqn", *FEATURE_KEYS, "phq9_total", "depressed"]]


@pytest.fixture(scope="session")
def trained_artifacts(tmp_path_factory) -> Path:
    """An artifacts directory holding one version trained on the synthetic survey (trained once per session)."""
    artifacts = tmp_path_factory.mktemp("ml_artifacts")
    train_and_write(dataset=synthetic_dataset(), artifacts_dir=artifacts, version="vtest", config=SMALL_CONFIG)
    return artifacts


@pytest.fixture
def use_artifacts(settings, trained_artifacts):
    """Point the registry at the synthetic version for one test."""
    settings.ML_ARTIFACTS_DIR = trained_artifacts
    settings.PREDICTOR_ACTIVE_VERSION = ""
    registry.clear_cache()
    yield trained_artifacts
    registry.clear_cache()


FULL_ANSWERS = {
    "age": 34,
    "sex": "female",
    "education": "some_college",
    "marital_status": "never_married",
    "household_size": 2,
    "annual_household_income": 31000,
    "employment": "looking_for_work",
    "smoking": "current",
    "alcohol_drinks_per_day": 3,
    "physical_activity": "none",
    "sitting_hours": 9,
    "diet_quality": "fair",
    "sleep_hours": 5,
    "sleep_trouble_told_doctor": "yes",
    "height_cm": 168,
    "weight_kg": 82,
    "conditions": ["asthma", "high_blood_pressure"],
    "general_health": "fair",
    "mental_health_visit": "no",
}
MINIMAL_ANSWERS = {"age": 52, "sex": "male"}


def pytest_collection_modifyitems(items):
    # Fitting models takes seconds each: every test that needs the trained session models is slow, and so out of
    # make test-fast (test_training.py and the train_models command are marked where they fit their own).
    for item in items:
        if "trained_artifacts" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
