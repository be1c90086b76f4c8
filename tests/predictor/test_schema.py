import pytest

from predictor.exceptions import AnswersInvalid
from predictor.schema import (
    QUESTIONS,
    QUESTIONS_BY_KEY,
    SCHEMA_VERSION,
    SECTIONS,
    income_to_poverty_ratio,
    poverty_guideline,
    schema_as_dict,
    validate_answers,
)
from tests.predictor.conftest import FULL_ANSWERS


def errors_for(raw) -> dict[str, list[str]]:
    with pytest.raises(AnswersInvalid) as caught:
        validate_answers(raw)
    return caught.value.errors


def test_it_fills_every_unanswered_optional_question_with_none():
    cleaned = validate_answers({"age": 40, "sex": "female"})

    assert set(cleaned) == set(QUESTIONS_BY_KEY)
    assert cleaned["age"] == 40
    assert all(cleaned[q.key] is None for q in QUESTIONS if q.optional)


def test_it_keeps_a_full_set_of_answers():
    cleaned = validate_answers(FULL_ANSWERS)

    assert cleaned["conditions"] == ["high_blood_pressure", "asthma"]  # in schema order
    assert cleaned["sleep_hours"] == 5.0


def test_it_requires_age_and_sex():
    errors = errors_for({"education": "high_school"})

    assert errors == {"age": ["This question is required."], "sex": ["This question is required."]}


def test_it_refuses_unknown_keys():
    errors = errors_for({"age": 40, "sex": "male", "favourite_colour": "blue"})

    assert errors == {"favourite_colour": ["This is not a question in the questionnaire."]}


def test_it_names_the_range_and_unit_of_a_number_out_of_range():
    errors = errors_for({"age": 15, "sex": "male", "sleep_hours": 30})

    assert errors["age"] == ["Enter a value from 18 to 120 years."]
    assert errors["sleep_hours"] == ["Enter a value from 0 to 24 hours."]


def test_it_refuses_fractions_for_whole_numbers_and_text_for_numbers():
    errors = errors_for({"age": 40.5, "sex": "male", "weight_kg": "heavy", "household_size": True})

    assert errors["age"] == ["Enter a whole number."]
    assert errors["weight_kg"] == ["Enter a number."]
    assert errors["household_size"] == ["Enter a number."]


def test_it_accepts_numbers_sent_as_form_strings_and_blank_as_unanswered():
    cleaned = validate_answers({"age": "41", "sex": "male", "weight_kg": "70.5", "education": ""})

    assert cleaned["age"] == 41
    assert cleaned["weight_kg"] == 70.5
    assert cleaned["education"] is None


def test_it_refuses_a_choice_that_is_not_offered():
    errors = errors_for({"age": 40, "sex": "other", "smoking": "sometimes"})

    assert errors["sex"] == ["Choose one of: female, male."]
    assert errors["smoking"][0].startswith("Choose one of: never, former, current")


def test_none_of_these_means_an_empty_list_and_cannot_be_combined():
    assert validate_answers({"age": 40, "sex": "male", "conditions": ["none"]})["conditions"] == []
    assert validate_answers({"age": 40, "sex": "male", "conditions": []})["conditions"] == []
    assert validate_answers({"age": 40, "sex": "male"})["conditions"] is None

    errors = errors_for({"age": 40, "sex": "male", "conditions": ["none", "asthma"]})
    assert errors["conditions"] == ["'None of these' cannot be combined with another condition."]


def test_it_refuses_unknown_conditions_and_a_bare_string():
    errors = errors_for({"age": 40, "sex": "male", "conditions": ["gout"]})
    assert errors["conditions"][0].startswith("Unknown choice(s): gout.")

    errors = errors_for({"age": 40, "sex": "male", "conditions": "asthma"})
    assert errors["conditions"] == ["Send a list of choices."]


def test_income_is_turned_into_the_ratio_to_the_hhs_poverty_guideline():
    assert poverty_guideline(household_size=1) == 15_650
    assert poverty_guideline(household_size=4) == 15_650 + 3 * 5_500
    assert income_to_poverty_ratio(annual_household_income=32_150, household_size=4) == 1.0
    assert income_to_poverty_ratio(annual_household_income=10_000_000, household_size=1) == 5.0


def test_schema_as_dict_lists_every_question_once_in_its_section():
    schema = schema_as_dict()

    assert schema["version"] == SCHEMA_VERSION
    assert [s["title"] for s in schema["sections"]] == list(SECTIONS)
    in_sections = [key for section in schema["sections"] for key in section["questions"]]
    assert sorted(in_sections) == sorted(q["key"] for q in schema["questions"]) == sorted(QUESTIONS_BY_KEY)
    assert {q["kind"] for q in schema["questions"]} == {"integer", "number", "choice", "multichoice"}
