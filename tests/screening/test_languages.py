"""The questionnaire, its errors and a result in Spanish and Russian: the API by Accept-Language, pages by the
person's language. The texts come from the committed catalogues (locale/), compiled as they are deployed."""

import pytest
from django.urls import reverse
from django.utils import translation

from billing.services import credits_phrase
from predictor.services import QUESTIONS
from screening.models import Screening
from screening.services import screening_score
from tests.english_left import english_left

pytestmark = pytest.mark.django_db
LIST = reverse("api-screening-list")
HOURS = next(question for question in QUESTIONS if question.key == "sleep_hours")


@pytest.mark.parametrize(
    ("language", "age_error", "required"),
    [
        ("ru", "Введите значение от 18 до 120 (лет).", "На этот вопрос нужно ответить."),
        ("es", "Escriba un valor de 18 a 120 años.", "Esta pregunta es obligatoria."),
    ],
)
def test_the_api_gives_field_errors_in_the_accept_language(member_api, answers, language, age_error, required):
    bad = {**answers, "age": 12}
    del bad["sex"]

    response = member_api.post(
        LIST, {"model": "logistic", "answers": bad}, format="json", headers={"accept-language": language}
    )

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"message", "extra"}  # the keys stay English
    assert body["extra"]["fields"]["age"] == [age_error]
    assert body["extra"]["fields"]["sex"] == [required]
    assert response["Content-Language"] == language
    assert not Screening.objects.exists()


def test_the_questionnaire_endpoint_labels_questions_in_the_accept_language_and_keeps_codes(client):
    spanish = client.get("/api/v1/questionnaire/", headers={"accept-language": "es"}).json()
    english = client.get("/api/v1/questionnaire/", headers={"accept-language": "en"}).json()

    age = next(q for q in spanish["questions"] if q["key"] == "age")
    assert age["label"] == "¿Qué edad tiene?"
    assert age["unit"] == "years"  # a code, the same in every language
    assert [s["questions"] for s in spanish["sections"]] == [s["questions"] for s in english["sections"]]
    assert spanish["sections"][0]["title"] == "Sobre usted"


@pytest.mark.parametrize(
    ("count", "words"),
    [(1, "1 кредит"), (2, "2 кредита"), (5, "5 кредитов"), (11, "11 кредитов"), (21, "21 кредит"), (22, "22 кредита")],
)
def test_russian_counts_take_the_form_their_number_needs(count, words):
    with translation.override("ru"):
        assert credits_phrase(count) == words


@pytest.mark.parametrize(
    ("hours", "words"), [(1, "1 час"), (3, "3 часа"), (5, "5 часов"), (21, "21 час"), (7.5, "7,5 часа")]
)
def test_russian_quantities_decline_with_the_number_and_write_decimals_with_a_comma(hours, words):
    with translation.override("ru"):
        assert HOURS.quantity(hours) == words


def test_spanish_quantities_use_the_singular_for_one_only():
    with translation.override("es"):
        assert [HOURS.quantity(value) for value in (1, 2, 7.5)] == ["1 hora", "2 horas", "7,5 horas"]


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [("es", "7,5", 7.5), ("ru", "7,5", 7.5), ("ru", "7.5", 7.5), ("en", "7.5", 7.5)],
)
def test_the_questionnaire_reads_a_decimal_comma_in_languages_that_write_one(
    client, member, answers, language, typed, stored
):
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)
    data = {"model": "logistic", **{k: v if isinstance(v, list) else str(v) for k, v in answers.items()}}

    response = client.post(reverse("screening:new"), {**data, "sleep_hours": typed})

    assert response.status_code == 302
    assert Screening.objects.get().answers["sleep_hours"] == stored


def test_a_result_page_words_its_factors_and_what_ifs_in_the_person_language(client, member, answers):
    member.language = "ru"
    member.save(update_fields=["language"])
    client.force_login(member)
    from screening.services import screening_submit

    short_sleep = {**answers, "sleep_hours": 5, "smoking": "current"}
    screening = screening_submit(user=member, model_key="logistic", answers=short_sleep).screening
    screening_score(screening_id=screening.id)

    page = client.get(reverse("screening:detail", args=[screening.id])).content.decode()

    assert "Ваша оценка" in page
    assert "— это повысило вашу оценку." in page or "— это понизило вашу оценку." in page
    assert "которые бросили курить" in page
    assert "raised your estimate" not in page
    assert "People with your answers" not in page


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_main_pages_keep_no_english_of_the_catalogue(client, answers, language):
    """Sign-up, the questionnaire with a mistake, a result and the history, as a person who chose the language."""
    from accounts.models import User

    headers = {"accept-language": language}
    pages = {"sign up": client.get(reverse("accounts:signup"), headers=headers)}
    client.post(
        reverse("accounts:signup"),
        {
            "email": "lena@example.com",
            "password1": "quiet-river-stone-7",
            "password2": "quiet-river-stone-7",
            "confirm_adult": "on",
            "accept_privacy": "on",
        },
        headers=headers,
    )
    person = User.objects.get()
    assert person.language == language
    pages["questionnaire with a mistake"] = client.post(
        reverse("screening:new"), {**{k: v for k, v in answers.items() if k != "conditions"}, "age": "12"}
    )
    from screening.services import screening_submit

    screening = screening_submit(
        user=person, model_key="logistic", answers={**answers, "sleep_hours": 5, "smoking": "current"}
    ).screening
    screening_score(screening_id=screening.id)
    pages["result"] = client.get(reverse("screening:detail", args=[screening.id]))
    pages["history"] = client.get(reverse("screening:history"))

    left = {name: english_left(page.content.decode(), language=language) for name, page in pages.items()}

    assert left == {name: [] for name in pages}


@pytest.mark.parametrize("language", ["es", "ru"])
@pytest.mark.parametrize(
    "name",
    [
        "home",
        "privacy",
        "predictor:model-card",
        "billing:credits",
        "privacy:settings",
        "symptoms:index",
        "screening:summary",
        "accounts:password_reset",
    ],
)
def test_the_other_pages_keep_no_english_of_the_catalogue(client, member, language, name):
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)

    page = client.get(reverse(name))

    assert page.status_code == 200
    assert english_left(page.content.decode(), language=language) == []


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_not_found_page_and_a_symptom_form_keep_no_english_of_the_catalogue(client, member, language):
    headers = {"accept-language": language}
    not_found = client.get("/no-such-page/", headers=headers)
    client.force_login(member)
    form = client.get(reverse("symptoms:new", args=["phq9"]), headers=headers)

    assert not_found.status_code == 404
    assert english_left(not_found.content.decode(), language=language) == []
    assert english_left(form.content.decode(), language=language) == []


@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_the_icon_arrays_place_their_figures_with_svg_numbers_in_every_language(client, member, answers, language):
    # Localized, 11.0 became "11,0": two numbers to SVG, which then drew every figure of the array in one place.
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)
    from screening.services import screening_submit

    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    screening_score(screening_id=screening.id)

    page = client.get(reverse("screening:status", args=[screening.id])).content.decode()

    assert page.count('transform="translate(11.0 6)"') == 2  # the first figure of each array
    assert page.count('transform="translate(209.0 204)"') == 2  # and the last
    assert "translate(11,0" not in page
