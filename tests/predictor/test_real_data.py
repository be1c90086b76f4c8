"""Checks against the real NHANES files when they are present (../shared/data/nhanes): the shipped version rescored
on the raw 2017-2018 cycle, and a full retrain that must meet the ensemble bars."""

from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from sklearn.metrics import roc_auc_score

from predictor import patterns, registry
from predictor.features import FEATURE_KEYS
from predictor.training import survey
from predictor.training.dataset import build_dataset
from predictor.training.train import SKIP_PATTERNS, train_and_write

pytestmark = [pytest.mark.slow, pytest.mark.nhanes]


def nhanes_dir() -> Path:
    return Path(settings.NHANES_DIR)


needs_nhanes = pytest.mark.skipif(
    not (nhanes_dir() / "2017-2018").is_dir(),
    reason="the NHANES files are not at settings.NHANES_DIR (../shared/data/nhanes)",
)


@pytest.fixture(scope="module")
def holdout_2017_18():
    return build_dataset(nhanes_dir=nhanes_dir(), cycle_keys=("2017-2018",))


@pytest.fixture
def shipped(settings):
    registry.clear_cache()
    settings.PREDICTOR_ACTIVE_VERSION = ""
    version = registry.loaded_version()
    if version.answer_model is None:
        pytest.skip("the active version predates marginalised answers")
    yield version
    registry.clear_cache()


def served(version, key, frame, *, shifted=False):
    """What the site serves for these survey rows: routed to a pattern submodel where the skip pattern has one,
    other skipped answers marginalised; the prior shift by age band only if `shifted`."""
    columns = {column: frame[column].to_numpy() for column in FEATURE_KEYS}
    return patterns.served_estimate(
        columns,
        full=version.model_set(key),
        answer_model=version.answer_model,
        patterns=version.patterns,
        submodels=[sets[key] for sets in version.submodels],
        z=None,
        explain=False,
        shifted=shifted,
    ).estimate


@needs_nhanes
def test_the_shipped_ensemble_ranks_the_2017_18_cycle_as_its_card_says(shipped, holdout_2017_18):
    y = holdout_2017_18["depressed"].to_numpy()

    auc = roc_auc_score(y, served(shipped, "ensemble", holdout_2017_18).probability)

    assert auc >= 0.825
    assert auc == pytest.approx(shipped.manifest["metrics"]["ensemble"]["roc_auc"], abs=1e-6)


@needs_nhanes
def test_with_the_health_section_blank_the_estimates_improve_on_the_previous_handling(shipped, holdout_2017_18):
    """Before: version v2026.11.26, blanks passed to models that never saw the pattern. After: the shipped version,
    trained with skip patterns, blanks marginalised. Same people, same blanks, both before any prior shift."""
    before_directory = Path(settings.ML_ARTIFACTS_DIR) / "v2026.11.26"
    if not before_directory.is_dir():
        pytest.skip("the previous version v2026.11.26 is not in ml_artifacts/")
    previous = registry.load_version(directory=before_directory)
    y = holdout_2017_18["depressed"].to_numpy()
    blank = holdout_2017_18.copy()
    blank[list(SKIP_PATTERNS["health section"])] = np.nan
    columns = {column: blank[column].to_numpy() for column in FEATURE_KEYS}

    before = previous.scorers["ensemble"].score(columns, explain=False).probability
    after = served(shipped, "ensemble", blank).probability

    ones = np.ones(len(y))
    before_citl, after_citl = (survey.weighted_calibration(y, p, ones)[0] for p in (before, after))
    assert abs(after_citl) < abs(before_citl) / 2  # +0.34 before: estimates ran low for these people
    assert np.mean((after - y) ** 2) < np.mean((before - y) ** 2)
    assert roc_auc_score(y, after) >= roc_auc_score(y, before) - 0.002


@needs_nhanes
def test_after_the_prior_shift_each_age_bands_reweighted_2017_18_mean_is_its_assumed_prevalence(
    shipped, holdout_2017_18
):
    y, weight = holdout_2017_18["depressed"].to_numpy(), holdout_2017_18["exam_weight"].to_numpy()
    age = holdout_2017_18["age"].to_numpy()
    shifted = served(shipped, "ensemble", holdout_2017_18, shifted=True).probability

    assert shipped.scoring["base_rate"] == 0.131
    for band in shipped.manifest["current_period"]["prior_shift"]["by_age"]:
        rows = (age >= band["low"]) & (age <= band["high"])
        reweighted = survey.label_shift_weights(y[rows], weight[rows], band["prevalence"])
        # The cycle's own sampling error (a band has about half the people) bounds the match.
        assert np.average(shifted[rows], weights=reweighted) == pytest.approx(band["prevalence"], abs=0.01)


@needs_nhanes
def test_retraining_on_the_real_files_meets_the_ensemble_bars(tmp_path):
    dataset = build_dataset(nhanes_dir=nhanes_dir())

    manifest = train_and_write(dataset=dataset, artifacts_dir=tmp_path, version="vreal", activate=False)

    assert len(dataset) == 36_259  # adults with a complete PHQ-9, 2005-2018, per the data README
    failed = {name: bar["value"] for name, bar in manifest["bars"].items() if not bar["passed"]}
    assert failed == {}
    # Issue 25's discrimination and calibration bars (the range's 9-of-10 tenths is not met: see docs/predictor.md).
    for name in (
        "newest_cycle_roc_auc_at_least_0.750",
        "newest_cycle_calibration_slope_0.80_to_1.25",
        "full_answers_roc_auc_at_least_0.825",
        "range_covers_every_subgroup_of_200",
    ):
        assert manifest["bars_patterns"][name]["passed"], name
    assert [s["key"] for s in manifest["submodels"]] == [
        "health_section",
        "income_household",
        "mental_health_visit",
        "newest_cycle",
    ]
    assert manifest["metrics"]["ensemble"]["roc_auc"] >= 0.825
    today = manifest["current_period"]
    assert set(today["subgroups_ensemble"]) >= {"sex: female", "age: 60+", "income: below poverty line"}
    assert today["subgroups_ensemble"]["race/ethnicity: Non-Hispanic Black"]["roc_auc"]["low"] is not None
    assert (
        today["survey_weighted"]["ensemble"]["roc_auc_interval"]["low"]
        < today["survey_weighted"]["ensemble"]["roc_auc"]
    )
    card = (tmp_path / "vreal" / "MODEL_CARD.md").read_text()
    for heading in ("Survey-weighted validation", "Risk bands today", "Skipped answers", "The range around"):
        assert heading in card


@needs_nhanes
def test_with_the_newest_cycles_pattern_blank_the_submodel_meets_issue_25s_bars(shipped, holdout_2017_18):
    """2017-18 with what the newest cycle does not ask blanked for everyone (widowed merged into divorced or
    separated), scored as the site scores: the newest-cycle submodel, against the full model marginalised."""
    pattern = next((p for p in shipped.patterns if p.key == "newest_cycle"), None)
    if pattern is None:
        pytest.skip("the active version has no pattern submodels")
    y, weight = holdout_2017_18["depressed"].to_numpy(), holdout_2017_18["exam_weight"].to_numpy()
    columns = patterns.blank_pattern({key: holdout_2017_18[key].to_numpy() for key in FEATURE_KEYS}, pattern)
    blank = holdout_2017_18.assign(**columns)

    after = served(shipped, "ensemble", blank).probability
    full = shipped.model_set("ensemble")
    before = patterns.served_estimate(
        columns, full=full, answer_model=shipped.answer_model, patterns=[], submodels=[], z=None, explain=False,
        shifted=False,
    ).estimate.probability  # fmt: skip

    auc_after, slope_after = survey.weighted_auc(y, after, weight), survey.weighted_calibration(y, after, weight)[1]
    assert auc_after >= 0.750
    assert 0.80 <= slope_after <= 1.25
    assert auc_after > survey.weighted_auc(y, before, weight)
    card = shipped.manifest["current_period"]["skip_patterns"][pattern.name]["ensemble"]["after"]
    assert auc_after == pytest.approx(card["roc_auc"], abs=1e-9)
