import json
import logging
import shutil

import joblib
import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from scipy.special import expit

from predictor import registry, services
from predictor.artifacts import MANIFEST_FILE, sha256_of
from predictor.catalogue import model_keys
from predictor.exceptions import ArtifactError, UnknownModel
from predictor.explanations import factor_text
from predictor.features import (
    CATEGORIES,
    FACTOR_GROUPS,
    Inputs,
    answers_to_columns,
    answers_to_frame,
    category_codes,
    isna_objects,
    tree_columns,
    tree_matrix,
)
from predictor.schema import validate_answers
from tests.predictor.conftest import FULL_ANSWERS, MINIMAL_ANSWERS

MODEL_KEYS = model_keys()

ALL_OPTIONAL_MISSING = validate_answers(MINIMAL_ANSWERS)
FULL = validate_answers(FULL_ANSWERS)


@pytest.fixture
def tampered_copy(tmp_path, trained_artifacts, settings):
    """A copy of the synthetic artifacts the test may damage, active for the test."""
    copy = tmp_path / "artifacts"
    shutil.copytree(trained_artifacts, copy)
    settings.ML_ARTIFACTS_DIR = copy
    settings.PREDICTOR_ACTIVE_VERSION = ""
    registry.clear_cache()
    yield copy / "vtest"
    registry.clear_cache()


def test_it_refuses_a_tampered_artifact(tampered_copy, monkeypatch):
    path = tampered_copy / "forest.joblib"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    unpickled = []
    monkeypatch.setattr(joblib, "load", lambda *a, **k: unpickled.append(a))

    with pytest.raises(ArtifactError, match=r"forest\.joblib does not match the SHA-256"):
        services.predict("ensemble", FULL)
    assert unpickled == []  # refused before anything was unpickled


def test_it_refuses_a_missing_artifact_file(tampered_copy):
    (tampered_copy / "xgboost.ubj").unlink()

    with pytest.raises(ArtifactError, match=r"xgboost\.ubj is missing"):
        services.predict("xgboost", FULL)


def test_it_refuses_a_model_file_the_manifest_does_not_list(tampered_copy):
    manifest = json.loads((tampered_copy / MANIFEST_FILE).read_text())
    del manifest["files"]["logistic.joblib"]
    (tampered_copy / MANIFEST_FILE).write_text(json.dumps(manifest))

    with pytest.raises(ArtifactError, match="not listed in the manifest"):
        services.predict("logistic", FULL)


def test_it_refuses_a_version_trained_for_another_questionnaire(tampered_copy):
    scoring_path = tampered_copy / "scoring.json"
    scoring = json.loads(scoring_path.read_text())
    scoring["schema_version"] = "1999.01-1"
    scoring_path.write_text(json.dumps(scoring))
    manifest = json.loads((tampered_copy / MANIFEST_FILE).read_text())
    manifest["files"]["scoring.json"]["sha256"] = sha256_of(scoring_path)
    (tampered_copy / MANIFEST_FILE).write_text(json.dumps(manifest))

    with pytest.raises(ArtifactError, match="questionnaire schema"):
        services.predict("logistic", FULL)


def test_it_explains_a_missing_active_version(settings, tmp_path):
    settings.ML_ARTIFACTS_DIR = tmp_path
    settings.PREDICTOR_ACTIVE_VERSION = ""
    registry.clear_cache()

    with pytest.raises(ArtifactError, match="No active model version"):
        services.active_version()

    settings.PREDICTOR_ACTIVE_VERSION = "v-nope"
    with pytest.raises(ArtifactError, match="has no artifact directory"):
        services.predict("logistic", FULL)
    registry.clear_cache()


def test_the_setting_overrides_the_active_file(settings, use_artifacts):
    settings.PREDICTOR_ACTIVE_VERSION = "vtest"

    assert services.active_version() == "vtest"


def test_it_loads_the_version_once_per_process(use_artifacts, monkeypatch):
    services.predict("logistic", FULL)
    monkeypatch.setattr(registry, "load_version", lambda **kwargs: pytest.fail("loaded twice"))

    services.predict("forest", FULL)


def test_it_refuses_an_unknown_model(use_artifacts):
    with pytest.raises(UnknownModel):
        services.predict("crystal_ball", FULL)


@pytest.mark.parametrize("model_key", MODEL_KEYS)
@pytest.mark.parametrize("answers", [FULL, ALL_OPTIONAL_MISSING], ids=["full", "all-optional-missing"])
def test_the_scoring_contract_holds_for_every_model(use_artifacts, model_key, answers):
    prediction = services.predict(model_key, answers)

    assert 0.0 < prediction.probability < 1.0
    assert prediction.risk_band in {"low", "moderate", "high"}
    assert prediction.model_version == "vtest"
    assert 0.0 < prediction.base_rate < 1.0
    for factor in prediction.factors:
        assert set(factor) >= {"key", "text", "direction", "contribution"}
        assert factor["key"] in FACTOR_GROUPS
        assert factor["direction"] == ("raises" if factor["contribution"] > 0 else "lowers")
        assert factor["text"].endswith(("raised your estimate.", "lowered your estimate."))
    body = prediction.as_dict()
    assert json.loads(json.dumps(body)) == body  # JSON-ready for the screening row


@pytest.mark.parametrize("model_key", MODEL_KEYS)
def test_predict_many_agrees_with_predict(use_artifacts, model_key):
    batch = services.predict_many(model_key, [FULL, ALL_OPTIONAL_MISSING, FULL])

    assert [p.probability for p in batch] == pytest.approx(
        [services.predict(model_key, a).probability for a in (FULL, ALL_OPTIONAL_MISSING, FULL)]
    )
    assert services.predict_many(model_key, []) == []


def test_the_band_follows_the_thresholds(use_artifacts):
    version = registry.loaded_version()
    thresholds = version.thresholds("ensemble")

    assert services._risk_band(thresholds["high"], thresholds) == "high"
    assert services._risk_band(thresholds["moderate"], thresholds) == "moderate"
    assert services._risk_band(thresholds["moderate"] - 1e-9, thresholds) == "low"


@pytest.mark.parametrize("model_key", MODEL_KEYS)
def test_contributions_plus_base_equal_the_margin(use_artifacts, model_key):
    answers = [FULL, ALL_OPTIONAL_MISSING]
    decomposition = services.explain_margins(model_key, answers)
    predictions = services.predict_many(model_key, answers)

    rebuilt = decomposition["base"] + decomposition["contributions"].sum(axis=1)
    np.testing.assert_allclose(rebuilt, decomposition["margin"], atol=1e-9)
    np.testing.assert_allclose(expit(decomposition["margin"]), [p.probability for p in predictions], atol=1e-12)
    for prediction, row in zip(predictions, decomposition["contributions"], strict=True):
        for factor in prediction.factors:
            assert factor["contribution"] == pytest.approx(row[FACTOR_GROUPS.index(factor["key"])], abs=1e-4)


def test_logistic_contributions_reproduce_the_pipelines_own_margin(use_artifacts):
    version = registry.loaded_version()
    frame = answers_to_frame([FULL, ALL_OPTIONAL_MISSING])

    scored = version.scorers["logistic"].score(answers_to_columns([FULL, ALL_OPTIONAL_MISSING]))
    served = services.explain_margins("logistic", [FULL])

    own_margin = version.scorers["logistic"].pipeline.decision_function(frame)
    np.testing.assert_allclose(scored.base + scored.contributions.sum(axis=1), own_margin)
    # What the site serves for complete answers: the same decomposition, moved by the prior shift of their age band.
    shift = version.model_set("logistic").shift_of(np.array([float(FULL["age"])]))
    np.testing.assert_allclose(served["margin"], own_margin[:1] + shift)
    np.testing.assert_allclose(served["contributions"], scored.contributions[:1])


def test_xgboost_contributions_reproduce_the_boosters_own_margin(use_artifacts):
    version = registry.loaded_version()
    scorer = version.scorers["xgboost"]
    frame = answers_to_frame([FULL, ALL_OPTIONAL_MISSING])

    decomposition = scorer.score(answers_to_columns([FULL, ALL_OPTIONAL_MISSING]))
    decomposition = {
        "margin": decomposition.margin,
        "base": decomposition.base,
        "contributions": decomposition.contributions,
    }

    raw = scorer.booster.predict(xgb.DMatrix(tree_matrix(frame), missing=np.nan), output_margin=True)
    np.testing.assert_allclose(decomposition["margin"], scorer.platt.a * raw + scorer.platt.b, atol=1e-5)
    np.testing.assert_allclose(
        decomposition["base"] + decomposition["contributions"].sum(axis=1), decomposition["margin"], atol=1e-9
    )


def test_the_flattened_forest_matches_scikit_learn_exactly(use_artifacts):
    version = registry.loaded_version()
    forest = joblib.load(version.directory / "forest.joblib")
    frame = answers_to_frame([FULL, ALL_OPTIONAL_MISSING] * 5)
    X = tree_matrix(frame)

    probability, contributions = version.scorers["forest"].flat.explain(X)

    np.testing.assert_allclose(probability, forest.predict_proba(X)[:, 1], atol=1e-12)
    np.testing.assert_allclose(version.scorers["forest"].flat.bias + contributions.sum(axis=1), probability, atol=1e-12)


def test_the_forest_without_explanations_is_scikit_learns_predict_proba_bit_for_bit(use_artifacts):
    forest = joblib.load(registry.loaded_version().directory / "forest.joblib")
    rng = np.random.default_rng(5)
    people = [FULL, ALL_OPTIONAL_MISSING] + [
        {**FULL, "age": int(age), "sleep_hours": float(sleep), "general_health": health}
        for age, sleep, health in zip(
            rng.integers(18, 81, 60),
            rng.uniform(3, 11, 60).round(1),
            rng.choice(["good", "poor", None], 60),
            strict=True,
        )
    ]
    X = tree_matrix(answers_to_frame(people))

    for rows in (X[:1], X[1:2], X):
        assert np.array_equal(
            registry.loaded_version().scorers["forest"].flat.probability(rows), forest.predict_proba(rows)[:, 1]
        )


def test_the_fast_logistic_transform_is_the_pipelines_own_bit_for_bit(use_artifacts):
    scorer = registry.loaded_version().scorers["logistic"]
    skipping = [{**FULL, key: None} for key in FULL if key not in ("age", "sex")]
    for people in ([FULL], [ALL_OPTIONAL_MISSING], [FULL, ALL_OPTIONAL_MISSING, *skipping] * 3):
        expected = scorer.pipeline[:-1].transform(answers_to_frame(people))
        assert np.array_equal(scorer.linear.transform(answers_to_columns(people)), expected)
        assert np.array_equal(scorer.linear.transform(answers_to_frame(people)), expected)


@pytest.mark.parametrize("model_key", MODEL_KEYS)
def test_sharing_the_input_matrices_within_a_call_moves_no_bit(use_artifacts, model_key):
    people = [FULL, ALL_OPTIONAL_MISSING, *({**FULL, key: None} for key in FULL if key not in ("age", "sex"))]
    columns = answers_to_columns(people)
    scorer = registry.loaded_version().scorers[model_key]

    for explain in (True, False):
        alone, shared = scorer.score(columns, explain=explain), scorer.score(Inputs(columns), explain=explain)
        for part in ("margin", "base", "contributions"):
            expected, got = getattr(alone, part), getattr(shared, part)
            assert (expected is None and got is None) or np.array_equal(expected, got), part


@pytest.mark.parametrize("rows", [1, 2, 40, 300])
def test_the_tree_matrix_is_numbers_as_they_are_and_a_column_per_category(rows):
    people = [FULL, ALL_OPTIONAL_MISSING, *({**FULL, key: None} for key in FULL if key not in ("age", "sex"))]
    chosen = [people[i % len(people)] for i in range(rows)]
    frame = answers_to_frame(chosen)

    expected = []
    for name, _ in tree_columns():
        key, _, category = name.partition("=")
        if category:
            column = (frame[key] == category).to_numpy(dtype="float32", copy=True)
            column[frame[key].isna().to_numpy()] = np.nan
        else:
            column = frame[key].to_numpy(dtype="float32")
        expected.append(column)
    assert np.array_equal(tree_matrix(frame), np.column_stack(expected), equal_nan=True)
    assert np.array_equal(tree_matrix(answers_to_columns(chosen)), tree_matrix(frame), equal_nan=True)


@pytest.mark.parametrize("rows", [1, 7, 300])
def test_category_codes_agree_with_comparing_the_column_with_each_category(rows):
    rng = np.random.default_rng(rows)
    choices = np.array([*CATEGORIES["smoking"], "not-a-choice", None, np.nan], dtype=object)
    values = choices[rng.integers(0, len(choices), rows)]

    expected = np.full(rows, -2)
    for i, category in enumerate(CATEGORIES["smoking"]):
        expected[values == category] = i
    expected[pd.isna(values)] = -1
    assert np.array_equal(category_codes("smoking", values), expected)
    assert np.array_equal(isna_objects(values), pd.isna(values))


def test_it_words_factors_for_a_person():
    assert factor_text("sleep_hours", {**FULL, "sleep_hours": 4.5}, raises=True) == (
        "Sleeping under 6 hours (4.5 hours) raised your estimate."
    )
    assert factor_text("household_size", {**FULL, "household_size": 1}, raises=False) == (
        "Living alone lowered your estimate."
    )
    assert factor_text("conditions", FULL, raises=True) == (
        "Having been told you have high blood pressure and asthma raised your estimate."
    )
    assert factor_text("diet_quality", ALL_OPTIONAL_MISSING, raises=False) == (
        "Leaving the question about your diet unanswered lowered your estimate."
    )


def test_the_shipped_active_version_verifies_and_scores(settings):
    """The version committed in ml_artifacts/ loads with the installed libraries and gives sane answers."""
    registry.clear_cache()
    if not (settings.ML_ARTIFACTS_DIR / "ACTIVE").exists():
        pytest.skip("no shipped model version in ml_artifacts/")
    settings.PREDICTOR_ACTIVE_VERSION = ""
    try:
        low = services.predict(
            "ensemble",
            validate_answers(
                {**FULL_ANSWERS, "general_health": "excellent", "sleep_trouble_told_doctor": "no", "conditions": []}
            ),
        )
        high = services.predict(
            "ensemble",
            validate_answers(
                {**FULL_ANSWERS, "general_health": "poor", "employment": "unable_to_work", "mental_health_visit": "yes"}
            ),
        )
    finally:
        registry.clear_cache()
    assert low.probability < high.probability
    assert high.risk_band == "high"


def test_it_never_logs_answers_or_probabilities(use_artifacts, caplog):
    caplog.set_level(logging.DEBUG)
    registry.clear_cache()

    prediction = services.predict("ensemble", FULL)

    logged = " ".join(record.getMessage() for record in caplog.records)
    assert f"{prediction.probability}" not in logged
    assert "asthma" not in logged
    assert "looking_for_work" not in logged


def test_the_catalogue_lists_every_model_with_its_cost_and_manifest_metrics(use_artifacts, settings):
    settings.PREDICTOR_MODEL_COSTS = {"logistic": 1, "forest": 3, "xgboost": 5, "ensemble": 7}
    manifest = registry.loaded_version().manifest

    catalogue = services.model_catalogue()

    assert [m["key"] for m in catalogue] == list(MODEL_KEYS)
    assert [m["cost"] for m in catalogue] == [1, 3, 5, 7]
    for entry in catalogue:
        assert entry["version"] == "vtest"
        assert entry["metrics"]["roc_auc"] == manifest["metrics"][entry["key"]]["roc_auc"]


@pytest.mark.parametrize("model_key", MODEL_KEYS)
def test_scoring_without_explanations_gives_the_same_probabilities(use_artifacts, model_key):
    answers = [FULL, ALL_OPTIONAL_MISSING]

    plain = services.predict_many(model_key, answers, explain=False)
    explained = services.predict_many(model_key, answers)

    assert [p.probability for p in plain] == pytest.approx([p.probability for p in explained], abs=1e-6)
    assert all(p.factors == [] for p in plain)
