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

    # Then, for height and weight, the unit switch and the boxes of the other units, and the confirm tick.
    assert list(form.fields)[: len(QUESTIONS) + 2] == ["model", *(q.key for q in QUESTIONS), "submission_key"]
    assert set(list(form.fields)[len(QUESTIONS) + 2 :]) == {
        "height_cm__unit",
        "height_cm__ft_in_ft",
        "height_cm__ft_in_in",
        "weight_kg__unit",
        "weight_kg__lb_value",
        "confirm_body_size",
    }
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


def bound(answers: dict, **units) -> ScreeningForm:
    data = {"model": "logistic", "age": "40", "sex": "female", **answers, **units}
    form = make_form(data)
    assert form.is_valid(), form.errors
    return form


def test_feet_inches_and_pounds_give_the_same_bmi_as_the_same_body_in_metric():
    from predictor.features import body_mass_index

    us = bound(
        {"height_cm__ft_in_ft": "5", "height_cm__ft_in_in": "11", "weight_kg__lb_value": "180"},
        height_cm__unit="ft_in",
        weight_kg__unit="lb",
    ).answers()
    metric = bound({"height_cm": "180.34", "weight_kg": "81.6466"}, height_cm__unit="cm", weight_kg__unit="kg")

    # 71 in x 2.54 and 180 lb x 0.45359237, kept to 0.0001 so that 180 lb reads back as 180 lb, not 179.9.
    assert (us["height_cm"], us["weight_kg"]) == ("180.34", "81.6466")
    assert body_mass_index(height_cm=float(us["height_cm"]), weight_kg=float(us["weight_kg"])) == body_mass_index(
        height_cm=float(metric.answers()["height_cm"]), weight_kg=float(metric.answers()["weight_kg"])
    )


def test_a_bmi_of_68_from_metric_inputs_asks_to_confirm_before_it_is_accepted():
    answers = {"height_cm": "170", "weight_kg": "196.5"}
    form = make_form({"model": "logistic", "age": "40", "sex": "female", **answers, "weight_kg__unit": "kg"})

    assert not form.is_valid()
    assert form.asks_body_size
    assert "body-mass index of 68" in form.errors["weight_kg"][0]
    assert "Did you mean 196.5 pounds?" in form.errors["weight_kg"][0]

    confirmed = bound({**answers, "confirm_body_size": "on"}, weight_kg__unit="kg")
    assert confirmed.answers()["weight_kg"] == "196.5"


def test_pounds_typed_as_kilograms_are_asked_about():
    form = make_form({"model": "logistic", "age": "40", "sex": "female", "height_cm": "180", "weight_kg": "180"})

    assert not form.is_valid()
    assert "Did you mean 180 pounds?" in form.errors["weight_kg"][0]


def test_an_ordinary_body_in_us_units_is_not_asked_about():
    form = bound(
        {"height_cm__ft_in_ft": "5", "height_cm__ft_in_in": "4", "weight_kg__lb_value": "140"},
        height_cm__unit="ft_in",
        weight_kg__unit="lb",
    )
    assert not form.asks_body_size


def test_a_form_sent_without_a_unit_is_read_in_the_questions_own_units():
    answers = bound({"height_cm": "172", "weight_kg": "70"}).answers()

    assert (answers["height_cm"], answers["weight_kg"]) == ("172", "70")


def test_empty_boxes_in_another_unit_mean_prefer_not_to_say():
    answers = bound({}, height_cm__unit="ft_in", weight_kg__unit="lb").answers()

    assert answers["height_cm"] is None
    assert answers["weight_kg"] is None


def test_text_in_a_unit_box_is_an_error_on_its_question():
    form = make_form(
        {"model": "logistic", "age": "40", "sex": "female", "height_cm__unit": "ft_in", "height_cm__ft_in_ft": "five"}
    )

    assert not form.is_valid()
    assert form.errors["height_cm"] == ["Enter numbers only, for example 5 and 9."]


def test_the_preferred_unit_is_chosen_and_an_earlier_answer_shown_in_it():
    form = ScreeningForm(
        initial={"height_cm": "180.3", "weight_kg": "81.6"},
        models=MODELS,
        available_credits=10,
        preferred_units={"height_cm": "ft_in", "weight_kg": "kg"},
    )

    assert form.initial["height_cm__unit"] == "ft_in"
    assert (form.initial["height_cm__ft_in_ft"], form.initial["height_cm__ft_in_in"]) == ("5", "11")
    assert form.initial["weight_kg__unit"] == "kg"


def test_us_units_are_offered_first_only_in_the_us_to_someone_who_has_not_chosen():
    us = ScreeningForm(models=MODELS, available_credits=10, country="US")
    unknown = make_form()

    assert (us.initial["height_cm__unit"], us.initial["weight_kg__unit"]) == ("ft_in", "lb")
    assert (unknown.initial["height_cm__unit"], unknown.initial["weight_kg__unit"]) == ("cm", "kg")
