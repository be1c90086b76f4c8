"""Every default help line and emergency number carries its official source and the day it was last checked; adults
are offered adult lines; "text" only where the line answers texts; the footer follows the person's country."""

from datetime import date
from urllib.parse import urlparse

import pytest
from django.urls import reverse

from core.models import COUNTRIES, DEFAULT_HELP_RESOURCES, EMERGENCY
from core.selectors import HELP_COUNTRY_COOKIE, country_from_accept_language, help_resources_for

pytestmark = pytest.mark.django_db

COVERED = {"US", "MX", "ES", "RU", "GB", "CA"}


def _is_official_address(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme == "https" and "." in parsed.netloc


def test_every_default_help_resource_has_an_official_source_and_a_checked_date():
    missing = [
        r.name
        for r in DEFAULT_HELP_RESOURCES
        if not _is_official_address(r.source_url) or not isinstance(r.checked_on, date)
    ]
    assert not missing, f"defaults without an https source or a checked date: {missing}"
    assert all(r.checked_on <= date.today() for r in DEFAULT_HELP_RESOURCES)


def test_every_emergency_number_has_an_official_source_and_a_checked_date():
    missing = [c for c, e in EMERGENCY.items() if not _is_official_address(e.source_url) or not e.checked_on]
    assert not missing


def test_the_defaults_cover_at_least_the_six_countries_each_with_a_crisis_line_and_an_emergency_number():
    assert set(COUNTRIES) >= COVERED
    for country in COVERED:
        shown = help_resources_for(country=country)
        assert shown.crisis_line is not None, country
        assert shown.emergency_number, country


def test_russia_offers_adults_an_adult_line_never_the_childrens_helpline_and_no_text():
    shown = help_resources_for(country="RU", language="ru")

    assert all(r.adults for r in shown)
    assert "8-800-2000-122" not in [r.phone for r in shown]
    assert not any(r.sms for r in shown if r.country == "RU")


@pytest.mark.parametrize(("country", "texts"), [("US", True), ("CA", True), ("GB", True), ("MX", False), ("ES", False)])
def test_a_text_link_is_offered_only_where_a_line_answers_texts(country, texts):
    shown = help_resources_for(country=country)
    assert any(r.sms for r in shown if r.country == country) is texts
    # Every text link comes from a number written in code, never parsed from a translated sentence.
    assert all(r.sms_number for r in shown if r.text)


@pytest.mark.parametrize(
    ("header", "country"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "MX"),
        ("ru-RU,ru;q=0.9", "RU"),
        ("en-GB,en;q=0.9", "GB"),
        ("en-CA", "CA"),
        ("fr-CA,fr;q=0.9", "CA"),
        ("es-ES", "ES"),
        ("en-US,en;q=0.9", "US"),
        ("es_MX", "MX"),
        ("es", ""),  # Spanish is read in Spain, Mexico, the US and more: no guess
        ("ru", "RU"),  # as before: Russian without a region is taken as Russia
        ("en", "US"),
        ("fr-FR", "FR"),  # a country without defaults: help for anywhere and "your local emergency number"
        ("en;q=0.5,es-MX;q=0.9", "MX"),  # the highest preference decides, not the first written
        ("zh-Hant-TW", "TW"),
        ("de", ""),
        ("", ""),
        ("*", ""),
    ],
)
def test_the_browsers_language_names_the_country(header, country):
    assert country_from_accept_language(header) == country


@pytest.mark.parametrize(
    ("header", "present", "absent"),
    [
        ("en-US", ['href="tel:988"', 'href="sms:988"', 'href="tel:911"'], ["Samaritans"]),
        ("es-MX", ['href="tel:8009112000"', 'href="tel:911"'], ["sms:", "tel:988"]),
        ("ru-RU", ['href="tel:+74959895050"', 'href="tel:112"'], ["sms:", "2000-122", "tel:988"]),
        ("en-GB", ['href="tel:116123"', 'href="tel:999"'], ["sms:", "tel:988"]),
        ("en-CA", ['href="tel:988"', 'href="sms:988"', 'href="tel:911"'], []),
        ("es-ES", ['href="tel:024"', 'href="tel:112"'], ["sms:", "tel:911"]),
        ("es", [], ["tel:", "sms:"]),
        ("de", ["call your local emergency number"], ["tel:", "sms:"]),  # not the US lines of the English page
        ("de-DE", ["call your local emergency number"], ["tel:", "sms:"]),
    ],
)
def test_the_footer_names_the_line_of_the_visitors_country(client, header, present, absent):
    html = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE=header).content
    footer = html.decode().split('<span class="footer-crisis">')[1].split("</p>")[0]
    for text in present:
        assert text in footer, (header, text)
    for text in absent:
        assert text not in footer, (header, text)
    assert "in the US, call or text 988" not in footer


def test_a_signed_in_persons_own_country_decides_the_footer_whatever_their_browser(client, member):
    member.country = "MX"
    member.save(update_fields=["country"])
    client.force_login(member)

    footer = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode().split("<footer")[1]

    assert 'href="tel:8009112000"' in footer
    assert "tel:988" not in footer


def test_a_visitor_changes_the_country_on_the_page_and_it_is_kept_in_a_cookie(client):
    response = client.post(reverse("accounts:help-country"), {"country": "GB", "next": "/privacy/"})

    assert response.status_code == 302
    assert response["Location"] == "/privacy/#help"
    assert response.cookies[HELP_COUNTRY_COOKIE].value == "GB"
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="es-MX").content.decode()
    assert 'href="tel:116123"' in page
    assert 'href="tel:8009112000"' not in page


def test_a_visitor_who_chooses_another_country_sees_no_guessed_emergency_number(client):
    client.post(reverse("accounts:help-country"), {"country": "none", "next": "/privacy/"})

    footer = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode().split("<footer")[1]

    assert "call your local emergency number" in footer
    assert "tel:911" not in footer


def test_a_signed_in_person_who_changes_the_country_on_the_page_keeps_it_on_the_account(client, member):
    client.force_login(member)

    client.post(reverse("accounts:help-country"), {"country": "CA", "next": "https://evil.example/"})

    member.refresh_from_db()
    assert member.country == "CA"


def test_an_unknown_country_code_changes_nothing(client, member):
    client.force_login(member)

    response = client.post(reverse("accounts:help-country"), {"country": "XX"})

    member.refresh_from_db()
    assert member.country == ""
    assert HELP_COUNTRY_COOKIE not in response.cookies
