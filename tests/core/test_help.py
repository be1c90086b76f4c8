import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from core.models import HelpResource
from core.selectors import help_resources_for

pytestmark = pytest.mark.django_db


def names(resources):
    return [r.name for r in resources]


US_DEFAULTS = ["988 Suicide & Crisis Lifeline", "Crisis Text Line", "SAMHSA National Helpline", "Find A Helpline"]


@pytest.mark.parametrize(
    ("country", "first", "phone", "emergency"),
    [
        ("US", "988 Suicide & Crisis Lifeline", "988", "911"),
        ("MX", "Línea de la Vida", "800 911 2000", "911"),
        ("ES", "024 Línea de atención a la conducta suicida", "024", "112"),
        ("RU", "Телефон доверия психологической помощи МЧС России", "+7 495 989-50-50", "112"),
        ("GB", "Samaritans", "116 123", "999"),
        ("CA", "9-8-8 Suicide Crisis Helpline", "988", "911"),
    ],
)
def test_a_persons_country_gives_its_own_lines_and_emergency_number(country, first, phone, emergency):
    shown = help_resources_for(country=country, language="en")

    assert names(shown)[0] == first
    assert shown.resources[0].phone == phone
    assert (shown.country, shown.emergency_number) == (country, emergency)
    # Only that country's lines, then the ones that help anywhere.
    assert {r.country for r in shown} == {country, ""}
    assert names(shown)[-1] == "Find A Helpline"
    assert all(r.is_default for r in shown)


@pytest.mark.parametrize(("language", "country", "emergency"), [("en", "US", "911"), ("ru", "RU", "112")])
def test_without_a_country_the_language_suggests_one(language, country, emergency):
    shown = help_resources_for(country="", language=language)

    assert (shown.country, shown.emergency_number) == (country, emergency)
    assert {r.country for r in shown} == {country, ""}


def test_without_a_country_spanish_suggests_none_so_no_countrys_emergency_number_is_shown():
    shown = help_resources_for(country="", language="es")

    assert (shown.country, shown.emergency_number) == ("", "")
    assert names(shown) == ["Find A Helpline"]
    assert all(not r.country and not r.phone for r in shown)


def test_a_country_the_site_has_no_lines_for_shows_only_help_for_anywhere():
    shown = help_resources_for(country="FR", language="en")

    assert (shown.country, shown.emergency_number) == ("FR", "")
    assert names(shown) == ["Find A Helpline"]


def test_the_partial_says_call_your_local_emergency_number_when_the_country_is_unknown():
    html = render_to_string("partials/help_resources.html", {"help_resources": help_resources_for(language="es")})

    assert "call your local emergency number" in html
    assert "911" not in html
    assert "112" not in html


def test_the_partial_links_the_countrys_emergency_number():
    html = render_to_string("partials/help_resources.html", {"help_resources": help_resources_for(country="ES")})

    assert 'href="tel:112"' in html
    assert 'href="tel:024"' in html
    assert "911" not in html


def test_rows_staff_add_for_a_country_replace_its_defaults_in_their_order_and_hidden_ones_stay_hidden():
    HelpResource.objects.create(name="Second", country="ES", order=2)
    HelpResource.objects.create(name="First", country="ES", order=1, phone="+34 91 459 00 55")
    HelpResource.objects.create(name="Retired line", country="ES", order=0, is_active=False)

    spain = help_resources_for(country="ES", language="es")

    assert names(spain) == ["First", "Second", "Find A Helpline"]
    assert spain.resources[0].tel == "+34914590055"
    assert not spain.resources[0].is_default
    assert spain.emergency_number == "112"
    # Other countries keep their defaults.
    assert names(help_resources_for(country="US", language="en")) == US_DEFAULTS


def test_hiding_every_row_of_a_country_does_not_bring_its_defaults_back():
    HelpResource.objects.create(name="Paused", country="US", is_active=False)

    assert names(help_resources_for(country="US", language="en")) == ["Find A Helpline"]


def test_a_row_for_anywhere_replaces_the_defaults_for_anywhere_and_shows_in_every_country():
    HelpResource.objects.create(name="Campus counselling", phone="555-0100")

    assert names(help_resources_for(country="US", language="en"))[-1] == "Campus counselling"
    assert names(help_resources_for(country="", language="es")) == ["Campus counselling"]


def test_a_row_in_one_language_is_shown_only_to_people_reading_that_language():
    HelpResource.objects.create(name="Línea en español", country="US", language="es", order=1)
    HelpResource.objects.create(name="English line", country="US", language="en", order=2)
    HelpResource.objects.create(name="Any language", country="US", order=3)

    assert names(help_resources_for(country="US", language="es"))[:2] == ["Línea en español", "Any language"]
    assert names(help_resources_for(country="US", language="en"))[:2] == ["English line", "Any language"]


def test_the_country_of_a_row_is_a_code_in_capitals():
    resource = HelpResource(name="Lowercase", country="es")
    resource.full_clean()
    assert resource.country == "ES"

    with pytest.raises(ValidationError):
        HelpResource(name="Typo", country="SPA").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpResource.objects.create(name="Typo", country="es")


def test_error_pages_use_the_defaults_without_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        shown = help_resources_for(country="", language="en", use_database=False)
    assert names(shown) == US_DEFAULTS


def test_staff_add_and_reorder_help_resources_in_the_admin(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:core_helpresource_add"),
        {
            "name": "Local line",
            "description": "",
            "phone": "555-0100",
            "text": "",
            "url": "https://example.org/",
            "region": "Springfield",
            "country": "us",
            "language": "",
            "order": "3",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert (HelpResource.objects.get().region, HelpResource.objects.get().country) == ("Springfield", "US")
    assert client.get(reverse("admin:core_helpresource_changelist")).status_code == 200
    assert client.get(reverse("admin:core_accounterasure_changelist")).status_code == 200


def test_a_member_cannot_reach_the_help_resource_admin(client, member):
    client.force_login(member)

    assert client.get(reverse("admin:core_helpresource_changelist")).status_code == 302


def test_the_home_page_explains_the_site_and_shows_help_to_visitors(client):
    response = client.get(reverse("home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "What it does" in html
    assert "What it does not do" in html
    assert "not diagnose" in html
    assert reverse("predictor:model-card") in html
    assert 'id="privacy"' in html
    assert reverse("accounts:signup") in html
    assert "988 Suicide &amp; Crisis Lifeline" in html


def test_the_home_page_offers_a_logged_in_member_a_new_check(client, member):
    client.force_login(member)

    html = client.get(reverse("home")).content.decode()

    assert reverse("screening:new") in html
    assert reverse("privacy:settings") in html
