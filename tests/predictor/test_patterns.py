"""Pattern submodels (issue 25): who is scored by which model, exact explanations for the submodel used, the prior
shift by age band, and the groups where a model is weaker."""

from __future__ import annotations

import numpy as np
import pytest

from predictor import services
from predictor.features import answers_to_columns
from predictor.imputation import estimate
from predictor.patterns import Pattern, blank_pattern, route
from predictor.registry import loaded_version
from predictor.training import survey
from tests.predictor.conftest import FULL_ANSWERS

NEWEST_CYCLE = ("employment", "diet_quality", "sleep_trouble_told_doctor", "general_health", "mental_health_visit")


def _skipping(*keys: str, **changes) -> dict:
    return services.validate_answers({**FULL_ANSWERS, **dict.fromkeys(keys), **changes})


@pytest.mark.parametrize(
    ("skipped", "expected"),
    [
        (NEWEST_CYCLE, "newest_cycle"),
        (("mental_health_visit",), "mental_health_visit"),
        (("height_cm", "conditions", "general_health", "mental_health_visit"), "health_section"),
        # Income with household size skipped, and sleep hours too: the submodel, sleep hours marginalised.
        (("annual_household_income", "household_size", "sleep_hours"), "income_household"),
    ],
)
def test_a_person_whose_skip_pattern_has_a_submodel_is_scored_by_it_exactly(use_artifacts, skipped, expected):
    answers = _skipping(*skipped)

    prediction = services.predict("ensemble", answers)
    raw = services.explain_margins("ensemble", [answers])

    assert prediction.submodel == expected
    # The explanation is the submodel's own exact decomposition: base + contributions == its margin.
    np.testing.assert_allclose(raw["base"] + raw["contributions"].sum(axis=1), raw["margin"], atol=1e-9)
    assert prediction.probability == pytest.approx(1 / (1 + np.exp(-raw["margin"][0])))
    version = loaded_version()
    pattern = version.patterns[[p.key for p in version.patterns].index(expected)]
    assert prediction.questions_used == pattern.used_questions
    assert not set(prediction.questions_used) & set(skipped) - {"sleep_hours"}


def test_the_newest_cycle_submodel_gives_the_same_estimate_as_scoring_it_directly(use_artifacts):
    answers = _skipping(*NEWEST_CYCLE, marital_status="widowed")
    version = loaded_version()
    index = [p.key for p in version.patterns].index("newest_cycle")
    models = version.submodels[index]["ensemble"]
    # Widowed is merged with divorced or separated, as the newest cycle records it.
    columns = blank_pattern(answers_to_columns([answers]), version.patterns[index])
    assert columns["marital_status"][0] == "divorced_or_separated"
    direct = models.scorer.score(columns, explain=False).margin + models.shift_of(np.array([answers["age"]]))

    prediction = services.predict("ensemble", answers)

    assert prediction.probability == pytest.approx(float(1 / (1 + np.exp(-direct[0]))))
    assert prediction.thresholds == models.thresholds


def test_any_other_skip_pattern_is_marginalised_by_the_full_model_as_before(use_artifacts):
    answers = _skipping("sleep_hours", "general_health")  # part of the health section only: no submodel
    version = loaded_version()
    full = version.model_set("ensemble")
    columns = answers_to_columns([answers])
    today = estimate(
        full.scorer,
        columns,
        answer_model=version.answer_model,
        shift=full.shift_of(columns["age"]),
        explain=True,
        spread=full.spread,
        transform=full.transform,
    )

    prediction = services.predict("ensemble", answers)

    assert prediction.submodel == ""
    assert prediction.probability == pytest.approx(float(today.probability[0]))
    assert [s["key"] for s in prediction.skipped] == ["sleep_hours", "general_health"]


def test_routing_takes_the_pattern_leaving_out_the_most_and_never_a_pattern_only_partly_skipped():
    patterns = [Pattern("small", "small", ("mental_health_visit",)), Pattern("big", "big", NEWEST_CYCLE)]
    people = [
        _skipping(*NEWEST_CYCLE),  # covers both: the bigger one
        _skipping("mental_health_visit"),  # exactly the small one
        _skipping("general_health", "employment"),  # part of the big one only: full model
        services.validate_answers(FULL_ANSWERS),
    ]

    assert route(answers_to_columns(people), patterns).tolist() == [1, 0, -1, -1]


def test_the_prior_shift_is_by_age_band_and_moves_young_and_old_differently(use_artifacts):
    version = loaded_version()
    shift = version.model_set("ensemble").shift
    young, old = shift.of(np.array([25.0, 70.0]))

    assert [list(band) for band in shift.bands] == [[18.0, 59.0], [60.0, 200.0]]
    # 13.9 % assumed at 18-59 against 8.7 % at 60+: the younger band is moved up further.
    assert young > old


def test_weaker_groups_follow_the_cards_rule():
    table = {
        "all": {"n": 5000, "roc_auc": {"value": 0.83, "low": 0.80, "high": 0.86}},
        "income: below poverty line": {"n": 900, "roc_auc": {"value": 0.76, "low": 0.70, "high": 0.82}},
        "sex: male": {"n": 2400, "roc_auc": {"value": 0.80, "low": 0.78, "high": 0.82}},
        "age: 60+": {"n": 1800, "roc_auc": {"value": 0.82, "low": 0.78, "high": 0.86}},
        "race/ethnicity: Other or multiracial": {"n": 150, "roc_auc": {"value": 0.60, "low": 0.4, "high": 0.8}},
    }

    weaker = survey.weaker_groups(table, gap=0.05, min_n=200)

    assert [(g["label"], g["why"]) for g in weaker] == [
        ("income: below poverty line", "more than the gap below overall"),
        ("sex: male", "interval wholly below overall"),
    ]


def test_a_prediction_names_the_weaker_groups_the_person_is_in(use_artifacts, monkeypatch):
    version = loaded_version()
    groups = {"ensemble": [{"label": "income: below poverty line", "roc_auc": 0.75, "overall": 0.83}]}
    monkeypatch.setitem(version.manifest, "current_period", {"less_reliable": {"groups": groups}})
    poor = services.validate_answers({**FULL_ANSWERS, "annual_household_income": 9000, "household_size": 3})
    well_off = services.validate_answers({**FULL_ANSWERS, "annual_household_income": 150000})

    poor_prediction, well_off_prediction = services.predict_many("ensemble", [poor, well_off])

    assert [g["label"] for g in poor_prediction.less_reliable] == ["income: below poverty line"]
    assert well_off_prediction.less_reliable == []
    assert services.less_reliable_for(answers=poor, model_key="ensemble", model_version=version.version)[0][
        "roc_auc"
    ] == pytest.approx(0.75)
    assert services.less_reliable_for(answers=well_off, model_key="ensemble", model_version=version.version) == []


@pytest.mark.django_db  # every page's footer reads the help lines of the visitor's country
def test_the_model_card_page_carries_the_weaker_groups_and_the_ranges_coverage(use_artifacts, client):
    html = client.get("/models/").content.decode()

    assert 'id="less-reliable"' in html
    assert "Tenths inside the range" in html
    assert 'id="range"' in html
