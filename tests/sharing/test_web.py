import re

import pytest
from django.test import Client
from django.urls import reverse

from sharing.models import ShareLink, ShareOpening
from sharing.services import share_link_create
from sharing.views import ShareLinkOpeningThrottle
from tests.english_left import english_left
from tests.sharing.conftest import DESKTOP_UA, PHONE_UA, expire


def _created_url(response) -> str:
    return re.search(r'value="(http://testserver/s/[^"]+/)"', response.content.decode()).group(1)


def test_the_summary_page_offers_sharing(client, member):
    client.force_login(member)
    body = client.get(reverse("screening:summary")).content.decode()
    assert reverse("sharing:manage") in body
    # "Download all": where every part of the full Bundle is offered (a long history comes in several files).
    assert f'href="{reverse("sharing:manage")}#fhir-title"' in body


def test_a_person_makes_a_link_sees_it_once_with_its_qr_code_and_it_opens_logged_out(client, member, history):
    client.force_login(member)
    response = client.post(
        reverse("sharing:manage"), {"contents": "checks", "days": "7", "language": "es", "show_name": "on"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    url = _created_url(response)
    page = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    link = ShareLink.objects.get(owner=member)
    assert (link.contents, link.language, link.show_name) == ("checks", "es", True)
    assert (link.expires_at - link.created_at).days == 7

    # Shown once: the sharing page does not show it again.
    assert url not in client.get(reverse("sharing:manage")).content.decode()

    opened = Client().get(url, HTTP_USER_AGENT=PHONE_UA)
    body = opened.content.decode()
    assert opened.status_code == 200
    assert opened["Content-Language"] == "es"
    assert '<html lang="es">' in body
    assert "Compartido por" in body  # the chosen language, whatever the reader's
    assert member.display_name in body
    assert "no un diagnóstico" in body
    assert "Estimación" not in body  # checks only
    assert str(history["phq9"].total) in body


def test_the_shared_page_is_private_noindex_and_under_the_strict_csp(client, shared):
    response = client.get(f"/s/{shared.token}/", HTTP_USER_AGENT=DESKTOP_UA)
    body = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert response["Referrer-Policy"] == "no-referrer"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "<script>" not in body
    assert "style=" not in body


def test_the_shared_page_names_the_sharer_or_says_it_was_the_person_who_shared_it(member, history):
    named = share_link_create(user=member, language="en", contents="checks_and_estimates")
    unnamed = share_link_create(user=member, language="en", show_name=False)

    body = Client().get(f"/s/{named.token}/").content.decode()
    assert f"Shared by {member.display_name}" in body
    assert "not a diagnosis" in body
    assert "Life-factor estimate" in body
    assert "23 in 100" in body
    assert "15 and 31 in 100" in body
    body = Client().get(f"/s/{unnamed.token}/").content.decode()
    assert member.display_name not in body
    assert "by the person who gave you this link" in body
    assert "Life-factor estimate" not in body
    assert member.email not in body


def _gone(token: str):
    return Client().get(f"/s/{token}/", HTTP_USER_AGENT=DESKTOP_UA, HTTP_ACCEPT_LANGUAGE="en")


def test_expired_revoked_and_unknown_links_get_the_same_kind_410(client, member, shared):
    revoked = share_link_create(user=member, language="ru")
    client.force_login(member)
    client.post(reverse("sharing:revoke", args=[revoked.link.id]))
    expired = share_link_create(user=member, language="es")
    expire(expired.link)

    answers = [_gone(token) for token in (expired.token, revoked.token, "an-unknown-token", "x" * 300)]
    assert {response.status_code for response in answers} == {410}
    bodies = {response.content for response in answers}
    assert len(bodies) == 1  # byte for byte the same page
    body = bodies.pop().decode()
    assert "This link does not work any more" in body
    for response in answers:
        assert response["Cache-Control"] == "no-store"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert not ShareOpening.objects.filter(link__in=[revoked.link, expired.link]).exists()
    # The live link still opens.
    assert _gone(shared.token).status_code == 200


def test_a_link_is_refused_after_revocation_on_the_fhir_download_too(client, member, shared):
    assert Client().get(f"/s/{shared.token}/fhir/").status_code == 200
    client.force_login(member)
    client.post(reverse("sharing:revoke", args=[shared.link.id]))
    assert Client().get(f"/s/{shared.token}/fhir/").status_code == 410


def test_each_opening_is_listed_for_the_owner_on_the_sharing_and_account_pages(client, member, shared):
    Client().get(f"/s/{shared.token}/", HTTP_USER_AGENT=PHONE_UA)
    Client().get(f"/s/{shared.token}/", HTTP_USER_AGENT=DESKTOP_UA)
    client.force_login(member)

    for page in (reverse("sharing:manage"), reverse("privacy:settings")):
        body = client.get(page).content.decode()
        assert body.count("Opened on") == 2, page
        assert "a browser on a phone or tablet" in body
        assert "a desktop browser" in body


def test_the_outsider_sees_none_of_the_members_openings(client, member, outsider, shared):
    Client().get(f"/s/{shared.token}/", HTTP_USER_AGENT=PHONE_UA)
    client.force_login(outsider)
    assert "Opened on" not in client.get(reverse("privacy:settings")).content.decode()
    assert "Opened on" not in client.get(reverse("sharing:manage")).content.decode()


def test_openings_are_rate_limited_per_link_with_a_clear_429(monkeypatch, member, shared):
    monkeypatch.setattr(ShareLinkOpeningThrottle, "rate", "3/hour", raising=False)

    answers = [Client().get(f"/s/{shared.token}/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    refused = Client().get(f"/s/{shared.token}/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused["Cache-Control"] == "no-store"
    assert ShareOpening.objects.filter(link=shared.link).count() == 3
    # Another link of the same person has its own count.
    other = share_link_create(user=member, language="en")
    assert Client().get(f"/s/{other.token}/").status_code == 200


@pytest.mark.parametrize("method", ["post", "get"])
def test_another_persons_link_cannot_be_revoked(client, outsider, shared, method):
    client.force_login(outsider)
    response = getattr(client, method)(reverse("sharing:revoke", args=[shared.link.id]))
    assert response.status_code == (404 if method == "post" else 405)
    assert ShareLink.objects.get(id=shared.link.id).revoked_at is None


def test_a_signed_out_visitor_cannot_reach_the_sharing_page(client):
    response = client.get(reverse("sharing:manage"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_form_error_is_said_next_to_the_field(client, member):
    client.force_login(member)
    response = client.post(reverse("sharing:manage"), {"contents": "checks", "days": "45", "language": "en"})
    assert "Enter a number of days from 1 to 30." in response.content.decode()
    assert not ShareLink.objects.exists()


def test_the_owner_downloads_one_bundle_with_or_without_estimates(client, member, history):
    client.force_login(member)
    plain = client.get(reverse("sharing:fhir-bundle")).json()
    full = client.get(reverse("sharing:fhir-bundle") + "?estimates=1").json()
    kinds = [entry["resource"]["resourceType"] for entry in plain["entry"]]
    assert "RiskAssessment" not in kinds
    assert kinds.count("Observation") == 2
    assert [e["resource"]["resourceType"] for e in full["entry"]].count("RiskAssessment") == 1


@pytest.mark.parametrize("language", ["es", "ru"])
def test_the_shared_and_sharing_pages_leave_no_english_in_another_language(client, member, history, language):
    created = share_link_create(user=member, language=language, contents="checks_and_estimates")
    Client().get(f"/s/{created.token}/", HTTP_USER_AGENT=PHONE_UA)
    shared_page = Client().get(f"/s/{created.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert english_left(shared_page, language=language) == []

    gone = Client().get("/s/unknown/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert english_left(gone, language=language) == []

    member.language = language
    member.save(update_fields=["language"])
    client.force_login(member)
    created_page = client.post(reverse("sharing:manage"), {"contents": "checks", "days": "3", "language": "en"})
    assert english_left(created_page.content.decode(), language=language) == []
    account = client.get(reverse("privacy:settings")).content.decode()
    assert english_left(account, language=language) == []
