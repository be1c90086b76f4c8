import json

import joblib
import numpy as np
import pytest

from predictor.artifacts import ACTIVE_FILE, MANIFEST_FILE, sha256_of
from predictor.catalogue import model_keys
from predictor.training.train import train_and_write, validation_table
from tests.predictor.conftest import SMALL_CONFIG, synthetic_dataset

pytestmark = pytest.mark.slow  # every test here fits models (make test-fast leaves them out)
METRIC_KEYS = {"roc_auc", "pr_auc", "brier", "calibration_intercept", "calibration_slope", "subgroup_roc_auc"}


def test_it_trains_end_to_end_and_writes_a_complete_version(trained_artifacts):
    version_dir = trained_artifacts / "vtest"
    manifest = json.loads((version_dir / MANIFEST_FILE).read_text())

    assert (trained_artifacts / ACTIVE_FILE).read_text().strip() == "vtest"
    assert {
        "logistic.joblib",
        "forest.joblib",
        "xgboost.ubj",
        "scoring.json",
        "MODEL_CARD.md",
        "roc.png",
        "calibration.png",
    } <= set(manifest["files"])
    for name, entry in manifest["files"].items():
        assert sha256_of(version_dir / name) == entry["sha256"]
    assert set(manifest["metrics"]) == {*model_keys(), "baseline"}
    for metrics in manifest["metrics"].values():
        assert set(metrics) >= METRIC_KEYS
        assert set(metrics["subgroup_roc_auc"]) == {"sex=female", "sex=male", "age=18-39", "age=40-59", "age=60+"}
    for key in model_keys():
        assert set(manifest["metrics"][key]["bands"]) == {"moderate", "high"}
    assert manifest["data"]["holdout_cycle"]["cycle"] == "2015-2016"
    assert [c["cycle"] for c in manifest["data"]["training_cycles"]] == ["2011-2012", "2013-2014"]
    assert {"scikit-learn", "xgboost", "numpy", "pandas"} <= set(manifest["libraries"])
    assert set(manifest["bars"])
    assert all("passed" in bar for bar in manifest["bars"].values())
    assert "Validation on the held-out cycle" in (version_dir / "MODEL_CARD.md").read_text()
    assert "ensemble bar" in validation_table(manifest)


def test_the_synthetic_models_learn_the_signal(trained_artifacts):
    manifest = json.loads((trained_artifacts / "vtest" / MANIFEST_FILE).read_text())

    assert manifest["metrics"]["ensemble"]["roc_auc"] > manifest["metrics"]["baseline"]["roc_auc"]
    assert manifest["metrics"]["ensemble"]["roc_auc"] > 0.7


def test_the_held_out_cycle_touches_no_fitted_parameter(tmp_path):
    dataset = synthetic_dataset(rows_per_cycle=300)
    shuffled = dataset.copy()
    holdout = shuffled["cycle"] == SMALL_CONFIG.holdout_cycle
    shuffled.loc[holdout, "depressed"] = 1 - shuffled.loc[holdout, "depressed"]

    train_and_write(dataset=dataset, artifacts_dir=tmp_path / "a", version="v", config=SMALL_CONFIG)
    train_and_write(dataset=shuffled, artifacts_dir=tmp_path / "b", version="v", config=SMALL_CONFIG)

    scoring_a = json.loads((tmp_path / "a" / "v" / "scoring.json").read_text())
    scoring_b = json.loads((tmp_path / "b" / "v" / "scoring.json").read_text())
    assert scoring_a == scoring_b
    assert (tmp_path / "a" / "v" / "xgboost.ubj").read_bytes() == (tmp_path / "b" / "v" / "xgboost.ubj").read_bytes()
    coef_a = joblib.load(tmp_path / "a" / "v" / "logistic.joblib")[-1].coef_
    coef_b = joblib.load(tmp_path / "b" / "v" / "logistic.joblib")[-1].coef_
    np.testing.assert_array_equal(coef_a, coef_b)


def test_it_refuses_a_dataset_without_the_held_out_cycle(tmp_path):
    dataset = synthetic_dataset(rows_per_cycle=50)
    dataset = dataset[dataset["cycle"] != SMALL_CONFIG.holdout_cycle]

    with pytest.raises(ValueError, match="held-out cycle"):
        train_and_write(dataset=dataset, artifacts_dir=tmp_path, version="v", config=SMALL_CONFIG)


def test_it_never_overwrites_an_existing_version(trained_artifacts):
    with pytest.raises(FileExistsError):
        train_and_write(
            dataset=synthetic_dataset(rows_per_cycle=200),
            artifacts_dir=trained_artifacts,
            version="vtest",
            config=SMALL_CONFIG,
        )
