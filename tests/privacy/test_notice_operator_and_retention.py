"""The privacy notice says who runs the site and how to reach them (from the settings), names every kind of data held,
and says how long each is kept, with the numbers the settings decide."""

from datetime import timedelta

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_notice_names_the_operator_and_the_address_from_the_settings(client, settings):
    settings.SITE_OPERATOR_NAME = "Clínica Ejemplo S.C."
    settings.SITE_CONTACT_EMAIL = "privacidad@example.org"

    html = client.get(reverse("privacy")).content.decode()

    assert "This site is run by Clínica Ejemplo S.C." in html
    assert 'href="mailto:privacidad@example.org"' in html


def test_without_an_operator_the_notice_says_so_instead_of_inventing_one(client, settings):
    settings.SITE_OPERATOR_NAME = ""
    settings.SITE_CONTACT_EMAIL = ""

    html = client.get(reverse("privacy")).content.decode()

    assert "has not yet given their name and an address to write to" in html
    assert "mailto:" not in html


def test_the_notice_names_every_kind_of_data_held(client):
    html = client.get(reverse("privacy")).content.decode()

    for kind in (
        "e-mail address",
        "your country",
        "symptom check (PHQ-9,\n    GAD-7)",
        "self-harm question",
        "credits",
    ):
        assert " ".join(kind.split()) in " ".join(html.split()), kind


def test_the_notice_says_how_long_each_kind_is_kept_from_the_settings(client, settings):
    settings.SESSION_COOKIE_AGE = 14 * 24 * 60 * 60
    settings.SIMPLE_JWT = {**settings.SIMPLE_JWT, "REFRESH_TOKEN_LIFETIME": timedelta(days=1)}

    text = " ".join(client.get(reverse("privacy")).content.decode().split())

    assert "until you delete your account. Then they are deleted at once" in text
    assert "A sign-in on the website: 14 days, or until you log out." in text
    assert "A sign-in of an app that uses our API: 1 day." in text
    assert "A link to reset your password: 3 days." in text
    assert "in your browser only (a cookie), for a year" in text
