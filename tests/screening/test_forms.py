import pytest

from predictor import schema
from predictor.schema import NONE_OF_THESE, QUESTIONS, SECTIONS, Question
from screening import forms as screening_forms
from screening.forms import PREFER_NOT_TO_SAY, ScreeningForm, answers_for_display

MODELS = [
    {"key": "logistic", "name": "Logistic regression", "description": "Linear.", "cost": 1},
    {"key": "ensemble", "name": "Ensemble", "description": "All three.", "cost": 7},
]


def make_form(data=None, *, credits=10):
    return ScreeningForm(data, models=MODELS, available_credits=credits)


def test_the_form_has_one_field_per_schema_question_with_its_label_and_help():
    form = make_form()

    assert list(form.fields) == ["model", *(q.key for q in QUESTIONS), "submission_key"]
    for question in QUESTIONS:
        assert form.fields[question.key].label == question.label
        assert form.fields[question.key].help_text == question.help_text


def test_a_question_added_to_the_schema_appears_without_touching_the_form(monkeypatch):
    extra = Question(
        key="pets",
        label="Do you have pets?",
        help_text="",
        kind="choice",
        section="Home and work",
        choices=(("yes", "Yes"), ("no", "No")),
    )
    monkeypatch.setattr(screening_forms, "QUESTIONS", (*QUESTIONS, extra))

    form = make_form()

    assert form.fields["pets"].label == "Do you have pets?"
    home = dict(form.sections)["Home and work"]
    assert "pets" in [question.key for question, _ in home]


def test_sections_follow_the_schema_and_hold_every_question_once():
    sections = make_form().sections

    assert [title for title, _ in sections] == list(SECTIONS)
    keys = [question.key for _, items in sections for question, _ in items]
    assert sorted(keys) == sorted(q.key for q in QUESTIONS)


def test_only_optional_questions_offer_prefer_not_to_say():
    form = make_form()

    for question in QUESTIONS:
        if question.kind != "choice":
            continue
        labels = [label for _, label in form.fields[question.key].choices]
        assert (PREFER_NOT_TO_SAY in labels) == question.optional, question.key


def test_number_inputs_bring_up_a_number_keyboard_but_accept_what_people_type():
    age, _income, sleep = (str(make_form()[key]) for key in ("age", "annual_household_income", "sleep_hours"))

    assert 'type="text"' in age
    assert 'inputmode="numeric"' in age
    assert 'inputmode="decimal"' in sleep
    form = make_form({"model": "logistic", "age": "34", "sex": "male", "annual_household_income": "42,000"})
    assert form.is_valid()
    assert schema.validate_answers(form.answers())["annual_household_income"] == 42000


def test_answers_turn_blanks_into_prefer_not_to_say_and_keep_lists():
    form = make_form(
        {"model": "logistic", "age": "34", "sex": "female", "education": "", "conditions": ["asthma", "diabetes"]}
    )
    assert form.is_valid(), form.errors

    answers = form.answers()

    assert answers["age"] == "34"  # the schema parses numbers, with its own messages
    assert answers["sex"] == "female"
    assert answers["education"] is None
    assert answers["household_size"] is None
    assert answers["conditions"] == ["asthma", "diabetes"]
    assert schema.validate_answers(answers)["age"] == 34


def test_none_of_these_is_an_answer_and_nothing_ticked_is_not():
    ticked = make_form({"model": "logistic", "age": "40", "sex": "male", "conditions": [NONE_OF_THESE]})
    unticked = make_form({"model": "logistic", "age": "40", "sex": "male"})
    assert ticked.is_valid()
    assert unticked.is_valid()

    assert schema.validate_answers(ticked.answers())["conditions"] == []
    assert schema.validate_answers(unticked.answers())["conditions"] is None


def test_schema_errors_land_beside_their_questions():
    form = make_form({"model": "logistic", "age": "12", "sex": "female"})
    assert form.is_valid()

    form.add_answer_errors({"age": ["Enter a value from 18 to 120 years."], "mystery": ["Not a question."]})

    assert form.errors["age"] == ["Enter a value from 18 to 120 years."]
    assert form.non_field_errors() == ["Not a question."]


@pytest.mark.parametrize(("credits", "expected"), [(10, "logistic"), (0, None)])
def test_the_cheapest_affordable_model_is_preselected(credits, expected):
    form = make_form(credits=credits)

    assert form.initial.get("model") == expected
    assert [option["affordable"] for option in form.model_options()] == [credits >= 1, credits >= 7]


def test_stored_answers_read_in_words():
    shown = dict(
        answers_for_display(
            {
                "age": 34,
                "sex": "female",
                "annual_household_income": 42000.0,
                "sleep_hours": 6.5,
                "conditions": [],
                "education": None,
            }
        )
    )

    about = dict(shown["About you"])
    assert about["How old are you?"] == "34 years"
    assert about["What is your sex?"] == "Female"
    assert about[schema.QUESTIONS_BY_KEY["education"].label] == PREFER_NOT_TO_SAY
    assert dict(shown["Home and work"])[schema.QUESTIONS_BY_KEY["annual_household_income"].label] == (
        "42,000 USD per year"
    )
    assert dict(shown["Sleep"])[schema.QUESTIONS_BY_KEY["sleep_hours"].label] == "6.5 hours"
    assert dict(shown["Health"])[schema.QUESTIONS_BY_KEY["conditions"].label] == "None of these"
