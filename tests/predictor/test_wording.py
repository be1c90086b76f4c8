"""Numbers in words: singular and plural through ngettext, money as people type it."""

import pytest

from predictor.explanations import PHRASES
from predictor.schema import QUESTIONS_BY_KEY, validate_answers
from screening.forms import answers_for_display
from tests.predictor.conftest import FULL_ANSWERS
from tests.predictor.test_schema import errors_for


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("household_size", 1, "1 person"),
        ("household_size", 3, "3 people"),
        ("alcohol_drinks_per_day", 1, "1 drink"),
        ("alcohol_drinks_per_day", 2, "2 drinks"),
        ("sleep_hours", 1, "1 hour"),
        ("sleep_hours", 7.5, "7.5 hours"),
        ("age", 41, "41 years"),
        ("annual_household_income", 45000, "45,000 USD per year"),
    ],
)
def test_a_quantity_takes_the_unit_its_number_needs(key, value, text):
    assert QUESTIONS_BY_KEY[key].quantity(value) == text


def test_the_answers_page_says_one_person_and_one_drink():
    answers = validate_answers({**FULL_ANSWERS, "household_size": 1, "alcohol_drinks_per_day": 1})

    shown = dict(row for _, rows in answers_for_display(answers) for row in rows)

    assert shown[QUESTIONS_BY_KEY["household_size"].label] == "1 person"
    assert shown[QUESTIONS_BY_KEY["alcohol_drinks_per_day"].label] == "1 drink"


def test_factor_sentences_say_one_drink_and_one_hour():
    assert PHRASES["alcohol_drinks_per_day"]({"alcohol_drinks_per_day": 1}) == "Having 1 drink on a drinking day"
    assert PHRASES["sitting_hours"]({"sitting_hours": 1}) == "Sitting about 1 hour a day"


@pytest.mark.parametrize("typed", ["45000", "45,000", "$45,000", "$ 45000", "45k", "45K", "$45k", "45.0k"])
def test_income_is_read_as_people_type_money(typed):
    assert validate_answers({**FULL_ANSWERS, "annual_household_income": typed})["annual_household_income"] == 45000


def test_income_in_thousands_keeps_its_fraction():
    assert validate_answers({**FULL_ANSWERS, "annual_household_income": "42.5k"})["annual_household_income"] == 42500


@pytest.mark.parametrize("typed", ["45kk", "forty", "€45000", "k"])
def test_income_that_is_not_an_amount_is_refused_with_an_example(typed):
    message = errors_for({**FULL_ANSWERS, "annual_household_income": typed})["annual_household_income"][0]
    assert message == "Enter an amount in US dollars, for example 45000, $45,000 or 45k."


def test_a_dollar_sign_is_not_accepted_for_other_numbers():
    assert errors_for({**FULL_ANSWERS, "household_size": "$3"})["household_size"] == ["Enter a whole number."]
