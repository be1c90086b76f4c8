"""Which language a request gets: the person's choice, the switcher's cookie, Accept-Language, English."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _signup(client, **headers):
    return client.post(
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


def test_a_visitor_gets_the_language_their_browser_asks_for(client):
    response = client.get(reverse("home"), headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})

    assert response["Content-Language"] == "ru"
    assert '<html lang="ru">' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_a_language_the_site_does_not_offer_falls_back_to_english(client):
    response = client.get(reverse("home"), headers={"accept-language": "de-DE,de;q=0.9"})

    assert response["Content-Language"] == "en"


def test_sign_up_keeps_the_language_the_page_was_shown_in(client):
    _signup(client, **{"accept-language": "es-MX,es;q=0.9"})

    assert User.objects.get().language == "es"


def test_the_person_language_follows_them_to_a_new_sign_in_whatever_the_browser_says(client):
    UserFactory(email="lena@example.com", language="ru")

    client.post(reverse("accounts:login"), {"username": "lena@example.com", "password": PASSWORD})
    response = client.get(reverse("screening:history"), headers={"accept-language": "en"})

    assert response["Content-Language"] == "ru"


def test_the_switcher_keeps_a_signed_in_person_choice_on_their_account(client, member):
    client.force_login(member)

    response = client.post(reverse("accounts:language"), {"language": "es", "next": "/history/"})

    assert response.status_code == 302
    assert response["Location"] == "/history/"
    member.refresh_from_db()
    assert member.language == "es"
    assert client.get("/history/", headers={"accept-language": "ru"})["Content-Language"] == "es"


def test_the_switcher_remembers_a_visitor_choice_in_a_cookie_and_never_redirects_elsewhere(client):
    response = client.post(reverse("accounts:language"), {"language": "ru", "next": "https://evil.example/"})

    assert response["Location"] == "/"
    assert client.get(reverse("home"))["Content-Language"] == "ru"


def test_the_switcher_ignores_a_language_the_site_does_not_offer(client, member):
    client.force_login(member)

    client.post(reverse("accounts:language"), {"language": "xx", "next": "/"})

    member.refresh_from_db()
    assert member.language == ""


def test_the_api_answers_in_the_accept_language_and_not_the_signed_in_page_language(client):
    UserFactory(email="lena@example.com", language="ru")
    client.post(reverse("accounts:login"), {"username": "lena@example.com", "password": PASSWORD})

    response = client.get("/api/v1/questionnaire/", headers={"accept-language": "es"})

    assert response["Content-Language"] == "es"
