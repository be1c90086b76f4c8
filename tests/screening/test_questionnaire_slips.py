"""The questionnaire's slips from a newcomer's walk (issue 27, item 5; issue 26's "1,5"): every error in one round,
numbers read per language in every box, units by country, what was typed shown back as typed."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from predictor.exceptions import AnswersInvalid
from predictor.schema import read_number, validate_answers
from screening.forms import ScreeningForm, answers_for_display
from screening.models import Screening

MODELS = [{"key": "logistic", "name": "Logistic regression", "description": "Linear.", "cost": 1}]

# Seven mistakes at once: no model, no age, no sex, a height and a weight typed with their units in the box, a
# night of 30 hours and a household of nobody.
SEVEN_SLIPS = {
    "height_cm__unit": "ft_in",
    "height_cm__ft_in_ft": "5'10",
    "weight_kg__unit": "lb",
    "weight_kg__lb_value": "180 lb",
    "sleep_hours": "30",
    "household_size": "0",
}
SEVEN_FIELDS = {"model", "age", "sex", "height_cm", "weight_kg", "sleep_hours", "household_size"}


def form(data=None, **kwargs) -> ScreeningForm:
    return ScreeningForm(data, models=MODELS, available_credits=10, **kwargs)


def form_data(answers, **extra):
    data = {"model": "logistic", **extra}
    for key, value in answers.items():
        data[key] = value if isinstance(value, list) else str(value)
    return data


# --- Every error in one round ----------------------------------------------------------------------------------


def test_a_unit_slip_never_hides_the_other_answers_errors():
    slipped = form(SEVEN_SLIPS)

    assert not slipped.is_valid()
    assert set(slipped.errors) == SEVEN_FIELDS
    assert slipped.errors["height_cm"] == ["Enter numbers only, for example 5 and 9."]
    assert slipped.errors["weight_kg"] == ["Enter a number only, for example 180."]
    assert slipped.errors["sleep_hours"] == ["Enter a value from 0 to 24 hours."]
    assert slipped.errors["age"] == ["This question is required."]


def test_a_missing_model_choice_still_shows_the_answers_errors():
    missing_model = form({"age": "12", "sex": "female"})

    assert not missing_model.is_valid()
    assert missing_model.errors["model"] == ["Choose a model."]
    assert missing_model.errors["age"] == ["Enter a value from 18 to 120 years."]


def test_the_page_lists_all_seven_errors_in_its_summary(client, member):
    client.force_login(member)

    response = client.post(reverse("screening:new"), SEVEN_SLIPS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Please check 7 answers" in html
    summary = html[html.index('class="error-summary"') : html.index("</ul>", html.index('class="error-summary"'))]
    for field in SEVEN_FIELDS:
        anchor = "models" if field == "model" else f"q-{field}"
        assert f'href="#{anchor}"' in summary, field
    # What was typed stays in its box, as typed.
    assert 'value="5&#x27;10"' in html
    assert 'value="180 lb"' in html
    assert not Screening.objects.exists()


# --- Decimal commas, per language, in every number box ---------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "ru"])
def test_a_decimal_comma_in_kilograms_is_read_as_a_decimal_in_spanish_and_russian(language):
    data = form_data({"age": 40, "sex": "female", "height_cm": "170", "weight_kg": "70,5"}, weight_kg__unit="kg")
    with translation.override(language):
        typed = form(data)
        assert typed.is_valid(), typed.errors  # not asked about a 705 kg body
        assert validate_answers(typed.answers())["weight_kg"] == 70.5


@pytest.mark.parametrize("language", ["es", "ru"])
def test_a_decimal_comma_in_pounds_and_inches_is_read_as_a_decimal(language):
    data = form_data(
        {"age": 40, "sex": "female"},
        height_cm__unit="ft_in",
        height_cm__ft_in_ft="5",
        height_cm__ft_in_in="10,5",
        weight_kg__unit="lb",
        weight_kg__lb_value="150,5",
    )
    with translation.override(language):
        typed = form(data)
        assert typed.is_valid(), typed.errors
        answers = typed.answers()
    assert float(answers["height_cm"]) == pytest.approx(70.5 * 2.54)
    assert float(answers["weight_kg"]) == pytest.approx(150.5 * 0.45359237, abs=1e-4)


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_web_form_stores_70_comma_5_kilograms_as_70_point_5(client, member, answers, language):
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)

    data = form_data({**answers, "weight_kg": "70,5"}, weight_kg__unit="kg", height_cm__unit="cm")

    response = client.post(reverse("screening:new"), data)

    assert response.status_code == 302, response.context["form"].errors
    assert Screening.objects.get().answers["weight_kg"] == 70.5


@pytest.mark.parametrize("typed", ["1,5", "12,50", ",5", "1,5000", "7,5"])
def test_in_english_a_decimal_comma_is_refused_with_a_clear_message(typed):
    with translation.override("en"):
        with pytest.raises(AnswersInvalid) as refused:
            validate_answers({"age": 40, "sex": "female", "sleep_hours": typed})
        with pytest.raises(ValueError, match="Use a point for decimals"):
            read_number(typed)

    assert refused.value.errors == {"sleep_hours": ["Use a point for decimals, for example 1.5."]}


@pytest.mark.parametrize(("typed", "read"), [("42,000", 42000), ("1,234,567.5", 1234567.5), ("$45,000", 45000)])
def test_in_english_a_comma_between_thousands_is_still_read(typed, read):
    with translation.override("en"):
        assert validate_answers({"age": 40, "sex": "female", "annual_household_income": typed})[
            "annual_household_income"
        ] == pytest.approx(read)


def test_in_english_the_web_form_refuses_1_comma_5_hours_instead_of_storing_15(client, member, answers):
    client.force_login(member)

    response = client.post(reverse("screening:new"), form_data({**answers, "sitting_hours": "1,5"}))

    assert response.status_code == 200
    assert response.context["form"].errors["sitting_hours"] == ["Use a point for decimals, for example 1.5."]
    assert 'name="sitting_hours" value="1,5"' in response.content.decode()
    assert not Screening.objects.exists()


def test_in_english_a_decimal_comma_in_a_pound_box_gets_the_same_message():
    typed = form(form_data({"age": 40, "sex": "female"}, weight_kg__unit="lb", weight_kg__lb_value="150,5"))

    assert not typed.is_valid()
    assert typed.errors["weight_kg"] == ["Use a point for decimals, for example 1.5."]


# --- Units by country --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "units"), [("US", ("ft_in", "lb")), ("MX", ("cm", "kg")), ("RU", ("cm", "kg"))])
def test_units_default_to_the_persons_country(country, units):
    shown = form(country=country)

    assert (shown.initial["height_cm__unit"], shown.initial["weight_kg__unit"]) == units


def test_the_persons_own_choice_beats_their_countrys_default():
    shown = form(country="RU", preferred_units={"height_cm": "ft_in", "weight_kg": "lb"})

    assert (shown.initial["height_cm__unit"], shown.initial["weight_kg__unit"]) == ("ft_in", "lb")


@pytest.mark.parametrize(("country", "checked"), [("MX", ("cm", "kg")), ("RU", ("cm", "kg")), ("US", ("ft_in", "lb"))])
def test_the_page_checks_the_countrys_units_for_someone_who_has_not_chosen(client, member, country, checked):
    member.country = country
    member.save(update_fields=["country"])
    client.force_login(member)

    html = client.get(reverse("screening:new")).content.decode()

    assert re.search(rf'name="height_cm__unit" value="{checked[0]}"[^>]* checked', html)
    assert re.search(rf'name="weight_kg__unit" value="{checked[1]}"[^>]* checked', html)


# --- What was typed, shown back as typed -------------------------------------------------------------------------


def test_180_pounds_is_shown_back_as_180_pounds(client, member, answers):
    client.force_login(member)
    data = form_data({k: v for k, v in answers.items() if k != "weight_kg"})
    data.update({"weight_kg__unit": "lb", "weight_kg__lb_value": "180"})

    response = client.post(reverse("screening:new"), data, follow=True)

    screening = Screening.objects.get()
    assert response.status_code == 200
    assert "180 lb (81.65 kg)" in response.content.decode()
    again = client.get(reverse("screening:new") + f"?from={screening.id}").context["form"]
    assert again.initial["weight_kg__lb_value"] == "180"


def test_the_answers_page_reads_back_what_was_typed_in_us_units():
    typed = form(
        form_data(
            {"age": 40, "sex": "female"},
            height_cm__unit="ft_in",
            height_cm__ft_in_ft="5",
            height_cm__ft_in_in="11",
            weight_kg__unit="lb",
            weight_kg__lb_value="180",
        )
    )
    assert typed.is_valid(), typed.errors
    stored = validate_answers(typed.answers())

    rows = dict(answers_for_display(stored, units=typed.chosen_units())[-1][1])

    assert rows["How tall are you?"] == "5 ft 11 in (180.34 cm)"
    assert rows["How much do you weigh?"] == "180 lb (81.65 kg)"


@pytest.mark.parametrize(("language", "checked"), [("ru", ("cm", "kg")), ("es", ("cm", "kg")), ("en", ("ft_in", "lb"))])
def test_without_a_country_the_units_follow_the_country_the_language_suggests(client, member, language, checked):
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)

    form = client.get(reverse("screening:new")).context["form"]

    assert (form.initial["height_cm__unit"], form.initial["weight_kg__unit"]) == checked
