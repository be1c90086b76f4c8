"""The person's country, asked once at sign-up (optional), changed on the account page or through the API: the help
resources on every page follow it, and never show another country's emergency number."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "lucia@example.com",
    "display_name": "",
    "password1": "quiet-river-stone-7",
    "password2": "quiet-river-stone-7",
    "confirm_adult": "on",
    "accept_privacy": "on",
}


def get_in(client, url, language):
    with translation.override(language):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_sign_up_asks_for_the_country_and_keeps_it(client):
    form = client.get(reverse("accounts:signup")).content.decode()
    assert 'name="country"' in form
    assert '<option value="MX">Mexico</option>' in form

    client.post(reverse("accounts:signup"), {**SIGNUP, "country": "MX"})

    assert User.objects.get().country == "MX"


def test_the_country_may_be_left_out_at_sign_up(client):
    client.post(reverse("accounts:signup"), SIGNUP)

    assert User.objects.get().country == ""


def test_the_account_page_changes_the_country_and_the_help_follows_it(client, member):
    client.force_login(member)
    assert 'href="tel:911"' in client.get(reverse("home")).content.decode()  # English: the US by default

    response = client.post(reverse("accounts:country"), {"country": "ES"})

    assert response["Location"] == reverse("privacy:settings") + "#country"
    member.refresh_from_db()
    assert member.country == "ES"
    home = client.get(reverse("home")).content.decode()
    assert 'href="tel:024"' in home
    assert 'href="tel:112"' in home
    assert "tel:911" not in home
    assert "988 Suicide" not in home
    assert '<option value="ES" selected>' in client.get(reverse("privacy:settings")).content.decode()


def test_an_unknown_country_is_refused_on_the_account_page(client, member):
    client.force_login(member)

    client.post(reverse("accounts:country"), {"country": "ZZ"})

    member.refresh_from_db()
    assert member.country == ""


def test_a_spanish_reader_without_a_country_is_not_shown_any_countrys_emergency_number(client, member):
    client.force_login(member)

    html = get_in(client, reverse("home"), "es").content.decode()

    assert "tel:911" not in html
    assert "tel:112" not in html
    assert "988 Suicide" not in html
    assert "findahelpline.com" in html
    assert reverse("privacy:settings") + "#country" in html


def test_a_russian_reader_without_a_country_sees_the_lines_of_russia(client, member):
    client.force_login(member)

    html = get_in(client, reverse("home"), "ru").content.decode()

    assert 'href="tel:+74959895050"' in html
    assert 'href="tel:112"' in html
    assert "tel:88002000122" not in html  # the children's line is not offered to adults
    assert "988 Suicide" not in html


def test_the_api_shows_and_changes_the_country(member_api, member):
    assert member_api.get(reverse("api-me")).json()["country"] == ""

    response = member_api.patch(reverse("api-me"), {"country": "ru"}, format="json")

    assert response.status_code == 200
    assert response.json()["country"] == "RU"
    member.refresh_from_db()
    assert member.country == "RU"
    assert member_api.patch(reverse("api-me"), {"country": ""}, format="json").json()["country"] == ""


def test_the_api_refuses_a_country_that_is_not_a_code(member_api, member):
    response = member_api.patch(reverse("api-me"), {"country": "Spain"}, format="json")

    assert response.status_code == 400
    assert "country" in response.json()["extra"]["fields"]


def test_registering_through_the_api_may_give_the_country(api_client):
    body = {
        "email": "ana@example.com",
        "password": "correct-horse-battery-9",
        "confirm_adult": True,
        "accept_privacy": True,
        "country": "es",
    }

    assert api_client.post(reverse("api-register"), body, format="json").status_code == 202
    assert User.objects.get().country == "ES"


def test_the_api_shows_and_changes_the_language(member_api, member):
    assert member_api.get(reverse("api-me")).json()["language"] == member.language

    response = member_api.patch(reverse("api-me"), {"language": "ru"}, format="json")

    assert response.status_code == 200
    assert response.json()["language"] == "ru"
    member.refresh_from_db()
    assert member.language == "ru"


@pytest.mark.parametrize("language", ["fr", "Russian", "es-MX", ""])
def test_the_api_refuses_a_language_the_site_does_not_offer(member_api, member, language):
    before = member.language
    response = member_api.patch(reverse("api-me"), {"language": language}, format="json")

    assert response.status_code == 400
    assert "language" in response.json()["extra"]["fields"]
    member.refresh_from_db()
    assert member.language == before
