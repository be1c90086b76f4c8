import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from sharing.models import ShareLink
from sharing.services import share_link_create
from tests.sharing.conftest import PHONE_UA


def test_a_person_creates_a_link_over_the_api_and_sees_its_url_once(member_api, member, history):
    response = member_api.post(
        reverse("api-share-link-list"), {"contents": "checks_and_estimates", "days": 3, "language": "ru"}
    )
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["live"] is True
    assert body["contents"] == "checks_and_estimates"
    assert body["language"] == "ru"
    assert body["url"].startswith("http://testserver/s/")
    assert body["fhir_url"].endswith("/fhir/")

    opened = Client().get(body["url"], HTTP_USER_AGENT=PHONE_UA)
    assert opened.status_code == 200
    assert opened["Content-Language"] == "ru"

    listed = member_api.get(reverse("api-share-link-list")).json()["results"]
    assert [link["id"] for link in listed] == [body["id"]]
    assert "url" not in listed[0]  # shown once
    assert [o["client"] for o in listed[0]["openings"]] == ["phone"]


def test_the_api_defaults_to_14_days_of_symptom_checks_only(member_api):
    body = member_api.post(reverse("api-share-link-list"), {"language": "en"}).json()
    link = ShareLink.objects.get(id=body["id"])
    assert link.contents == "checks"
    assert (link.expires_at - link.created_at).days == 14


@pytest.mark.parametrize("days", [0, 31, "many"])
def test_a_lifetime_outside_1_to_30_days_is_refused_in_the_one_error_shape(member_api, days):
    response = member_api.post(reverse("api-share-link-list"), {"language": "en", "days": days})
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}
    assert "days" in response.json()["extra"]["fields"]


def test_the_owner_revokes_over_the_api_and_the_link_is_gone(member_api, member, shared):
    response = member_api.post(reverse("api-share-link-revoke", args=[shared.link.id]))
    assert response.status_code == 200
    assert response.json()["live"] is False
    assert response.json()["revoked_at"]
    assert Client().get(f"/s/{shared.token}/").status_code == 410


def test_another_persons_link_cannot_be_read_or_revoked_over_the_api(outsider, shared):
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.post(reverse("api-share-link-revoke", args=[shared.link.id])).status_code == 404
    assert api.get(reverse("api-share-link-detail", args=[shared.link.id])).status_code == 404
    assert api.get(reverse("api-share-link-list")).json()["results"] == []
    assert ShareLink.objects.get(id=shared.link.id).revoked_at is None


def test_a_signed_out_client_gets_401(api_client, shared):
    assert api_client.get(reverse("api-share-link-list")).status_code == 401
    assert api_client.post(reverse("api-share-link-revoke", args=[shared.link.id])).status_code == 401


def test_the_bundle_downloads_over_the_api_as_fhir_json(member_api, history):
    response = member_api.get(reverse("api-fhir-bundle") + "?estimates=true", HTTP_ACCEPT="application/fhir+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    kinds = [entry["resource"]["resourceType"] for entry in response.json()["entry"]]
    assert kinds.count("RiskAssessment") == 1
    assert kinds.count("Observation") == 2


def test_several_links_are_listed_newest_first(member_api, member):
    older = share_link_create(user=member, language="en").link
    newer = share_link_create(user=member, language="es").link
    ids = [link["id"] for link in member_api.get(reverse("api-share-link-list")).json()["results"]]
    assert ids == [str(newer.id), str(older.id)]


def test_the_bundle_takes_only_true_or_false_for_estimates(member_api):
    for value in ("null", "1", "yes"):
        response = member_api.get("/api/v1/me/fhir-bundle/", {"estimates": value})
        assert response.status_code == 400, value
        assert response.json()["extra"]["fields"]["estimates"] == ["Send true or false."]
    assert member_api.get("/api/v1/me/fhir-bundle/", {"estimates": "true"}).status_code == 200


def test_show_name_is_a_json_boolean_only(member_api):
    response = member_api.post("/api/v1/share-links/", {"language": "en", "show_name": 0}, format="json")

    assert response.status_code == 400
    assert "show_name" in response.json()["extra"]["fields"]
