"""Skipped answers are marginalised, estimates carry today's prior shift and a range (on the synthetic version)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from predictor import registry, services
from predictor.features import answers_to_columns
from predictor.schema import QUESTIONS_BY_KEY, validate_answers

PERSON = {
    "age": 45,
    "sex": "female",
    "education": "some_college",
    "marital_status": "divorced_or_separated",
    "household_size": 2,
    "annual_household_income": 30_000,
    "employment": "working",
    "smoking": "former",
    "alcohol_drinks_per_day": 2,
    "physical_activity": "moderate",
    "sitting_hours": 8,
    "diet_quality": "good",
    "sleep_hours": 6,
    "sleep_trouble_told_doctor": "yes",
    "height_cm": 165,
    "weight_kg": 80,
    "conditions": ["high_blood_pressure"],
    "general_health": "fair",
    "mental_health_visit": "no",
}
HEALTH_SECTION = ("height_cm", "weight_kg", "conditions", "general_health", "mental_health_visit")


def answers(**changes):
    return validate_answers({**PERSON, **changes})


def documented_marginal(model_key: str, cleaned: dict) -> float:
    """The method of docs/predictor.md written out by hand: each of the S completions scored on its own, the
    prior shift of the person's age band added, the probabilities averaged."""
    version = registry.loaded_version()
    shift = float(version.model_set(model_key).shift_of(np.array([float(cleaned["age"])]))[0])
    completed = version.answer_model.complete(answers_to_columns([cleaned]), np.array([0]))
    scorer = version.scorers[model_key]
    probabilities = [
        expit(scorer.score({key: values[[slot]] for key, values in completed.items()}).margin[0] + shift)
        for slot in range(version.answer_model.n_slots)
    ]
    return float(np.mean(probabilities))


@pytest.mark.parametrize("question", ["diet_quality", "sleep_hours", "annual_household_income", "conditions"])
def test_one_skipped_answer_gives_the_documented_marginal_average_and_no_effect(use_artifacts, question):
    cleaned = answers(**{question: None})

    prediction = services.predict("ensemble", cleaned)

    assert prediction.probability == pytest.approx(documented_marginal("ensemble", cleaned), rel=1e-6, abs=1e-9)
    skipped_keys = {note["key"] for note in prediction.skipped}
    assert skipped_keys
    assert skipped_keys.isdisjoint(factor["key"] for factor in prediction.factors)
    assert all("neither raised nor lowered" in note["text"] for note in prediction.skipped)
    decomposition = services.explain_margins("ensemble", [cleaned])
    from predictor.features import FACTOR_GROUPS

    for key in skipped_keys:
        assert decomposition["contributions"][0, FACTOR_GROUPS.index(key)] == 0.0
    assert decomposition["base"][0] + decomposition["contributions"][0].sum() == pytest.approx(
        decomposition["margin"][0]
    )


def test_a_skipped_choice_lands_between_the_estimates_of_its_possible_answers(use_artifacts):
    skipped = services.predict("ensemble", answers(diet_quality=None)).probability
    each = [
        services.predict("ensemble", answers(diet_quality=value)).probability
        for value, _ in QUESTIONS_BY_KEY["diet_quality"].choices
    ]

    # An average over completions that differ only in this answer: skipping cannot push it outside the range.
    assert min(each) - 1e-9 <= skipped <= max(each) + 1e-9


def test_every_estimate_carries_the_prior_shift_of_its_age_band_to_todays_prevalence(use_artifacts):
    version = registry.loaded_version()
    young, old = answers(age=30), answers(age=70)
    margins = version.scorers["xgboost"].score(answers_to_columns([young, old])).margin
    shift = version.model_set("xgboost").shift

    predictions = services.predict_many("xgboost", [young, old])

    assert shift.shifts[0] != shift.shifts[1]
    assert predictions[0].probability == pytest.approx(expit(margins[0] + shift.shifts[0]))
    assert predictions[1].probability == pytest.approx(expit(margins[1] + shift.shifts[1]))
    assert predictions[0].base_rate == version.manifest["current_period"]["prior_shift"]["figure"] == 0.131


def test_the_range_holds_the_estimate_and_widens_when_skipped_answers_are_marginalised(use_artifacts):
    full = services.predict("ensemble", answers())
    # Part of the health section: no submodel, so the answers are marginalised and their spread widens the range.
    part = services.predict("ensemble", answers(conditions=None, general_health=None, sleep_hours=None))
    # The whole health section: its submodel never saw those answers, so there is no spread over completions.
    whole = services.predict("ensemble", answers(**dict.fromkeys(HEALTH_SECTION)))

    for prediction in (full, part, whole):
        assert prediction.interval_low < prediction.probability < prediction.interval_high
        assert prediction.interval_level == 0.9
    assert part.submodel == ""
    assert whole.submodel == "health_section"
    assert part.interval_high - part.interval_low > full.interval_high - full.interval_low
    assert {note["key"] for note in whole.skipped} == {"bmi", "conditions", "general_health", "mental_health_visit"}


def test_marginalising_in_a_batch_gives_the_same_as_one_by_one(use_artifacts):
    people = [answers(), answers(sleep_hours=None), answers(**dict.fromkeys(HEALTH_SECTION)), answers(education=None)]

    together = services.predict_many("ensemble", people)

    for person, batched in zip(people, together, strict=True):
        alone = services.predict("ensemble", person)
        assert batched.probability == pytest.approx(alone.probability, rel=1e-9)
        assert batched.interval_low == pytest.approx(alone.interval_low, rel=1e-9)
        assert batched.factors == alone.factors
