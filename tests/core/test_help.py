import pytest
from django.urls import reverse

from core.models import DEFAULT_HELP_RESOURCES, HelpResource

pytestmark = pytest.mark.django_db


def test_the_defaults_in_code_are_shown_while_staff_have_added_none():
    resources = HelpResource.objects.for_display()

    assert resources == DEFAULT_HELP_RESOURCES
    names = [r.name for r in resources]
    assert names[0] == "988 Suicide & Crisis Lifeline"
    assert "Crisis Text Line" in names
    assert any(r.phone == "1-800-662-4357" for r in resources)
    assert any(r.url == "https://findahelpline.com/" for r in resources)
    assert all(r.is_default for r in resources)


def test_rows_in_the_admin_replace_the_defaults_in_their_order_and_hidden_ones_stay_hidden():
    HelpResource.objects.create(name="Second", order=2)
    HelpResource.objects.create(name="First", order=1, phone="+44 116 123")
    HelpResource.objects.create(name="Retired line", order=0, is_active=False)

    resources = HelpResource.objects.for_display()

    assert [r.name for r in resources] == ["First", "Second"]
    assert resources[0].tel == "+44116123"
    assert not resources[0].is_default


def test_hiding_every_row_does_not_bring_the_defaults_back():
    HelpResource.objects.create(name="Paused", is_active=False)

    assert list(HelpResource.objects.for_display()) == []


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
            "order": "3",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    assert HelpResource.objects.get().region == "Springfield"
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
