"""What would change the estimate: faithful to the model, and only for answers a person can change."""

import pytest

from predictor.services import (
    QUESTIONS,
    model_keys,
    predict,
    predict_many,
    predict_with_what_ifs,
    validate_answers,
)
from predictor.whatifs import MODIFIABLE, what_if_answers
from tests.predictor.conftest import FULL_ANSWERS

MODEL_KEYS = model_keys()

NEVER_VARIED = {
    "age",
    "sex",
    "education",
    "marital_status",
    "household_size",
    "annual_household_income",
    "employment",
    "height_cm",
    "conditions",
    "general_health",
    "mental_health_visit",
    "sleep_trouble_told_doctor",
}


@pytest.fixture
def answers():
    # Current smoker, 3 drinks, no activity, 9 hours sitting, fair diet, 5 hours' sleep, BMI 29.
    return validate_answers(FULL_ANSWERS)


def test_every_modifiable_answer_outside_its_healthier_range_gets_one_what_if(answers):
    assert [w.key for w in what_if_answers(answers)] == list(MODIFIABLE)


@pytest.mark.parametrize("model_key", MODEL_KEYS)
def test_each_what_if_is_the_models_own_prediction_for_the_changed_answers(model_key, answers):
    prediction, what_ifs = predict_with_what_ifs(model_key, answers)

    assert prediction.probability == pytest.approx(predict(model_key, answers).probability, abs=1e-12)
    assert len(what_ifs) == len(MODIFIABLE)
    for stored, what_if in zip(what_ifs, what_if_answers(answers), strict=True):
        scored = predict_many(model_key, [what_if.answers], explain=False)[0].probability
        assert stored["probability"] == pytest.approx(scored, abs=1e-12), stored["key"]
        # The explained path is the same model: XGBoost sums its float32 contributions, so the last digits move.
        alone = predict(model_key, what_if.answers).probability
        assert stored["probability"] == pytest.approx(alone, abs=1e-6), stored["key"]


def test_a_what_if_changes_exactly_one_modifiable_answer_and_nothing_else(answers):
    for what_if in what_if_answers(answers):
        changed = {key for key in answers if what_if.answers[key] != answers[key]}
        expected = {"weight_kg"} if what_if.key == "bmi" else {what_if.key}
        assert changed == expected
        assert not changed & NEVER_VARIED


def test_no_what_if_is_ever_offered_for_answers_a_person_cannot_change(answers):
    modifiable_questions = {key for key in MODIFIABLE if key != "bmi"} | {"weight_kg"}
    assert {q.key for q in QUESTIONS} - modifiable_questions == NEVER_VARIED
    for model_key in MODEL_KEYS:
        _, what_ifs = predict_with_what_ifs(model_key, answers)
        assert {w["key"] for w in what_ifs} <= set(MODIFIABLE)
        assert all(set(w["changed"]) <= modifiable_questions for w in what_ifs)


def test_healthy_habits_and_unanswered_questions_get_no_what_if():
    healthy = validate_answers(
        {
            **FULL_ANSWERS,
            "smoking": "never",
            "alcohol_drinks_per_day": 1,
            "physical_activity": "moderate",
            "sitting_hours": 5,
            "diet_quality": "good",
            "sleep_hours": 8,
            "weight_kg": 65,
        }
    )
    assert what_if_answers(healthy) == []
    assert what_if_answers(validate_answers({"age": 40, "sex": "male"})) == []


def test_the_healthier_values_are_the_ones_the_page_names(answers):
    by_key = {w.key: w for w in what_if_answers(answers)}

    assert by_key["sleep_hours"].answers["sleep_hours"] == 7
    assert by_key["sleep_hours"].instead == "who sleep 7 hours a night"
    assert by_key["smoking"].answers["smoking"] == "former"
    assert by_key["alcohol_drinks_per_day"].instead == "who have 1 drink on a drinking day"
    assert by_key["bmi"].answers["weight_kg"] == pytest.approx(25 * 1.68**2, abs=0.05)
    assert by_key["bmi"].instead == "with a body-mass index of 25"
