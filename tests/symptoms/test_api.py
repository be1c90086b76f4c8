import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import LedgerEntry
from symptoms.fhir import validated
from symptoms.models import SymptomCheck

pytestmark = pytest.mark.django_db

INSTRUMENTS = reverse("api-instrument-list")
CHECKS = reverse("api-symptom-check-list")


def test_anyone_can_read_the_instruments(api_client):
    response = api_client.get(INSTRUMENTS)
    assert response.status_code == 200
    by_key = {i["key"]: i for i in response.json()}
    assert set(by_key) == {"phq9", "gad7"}
    assert len(by_key["phq9"]["items"]) == 9
    assert len(by_key["gad7"]["items"]) == 7
    assert by_key["phq9"]["recall_period"] == "Over the last 2 weeks"


def test_a_phq9_is_scored_at_once_with_its_band_and_safety_flag(member_api, phq9_answers):
    response = member_api.post(CHECKS, {"instrument": "phq9", "answers": {**phq9_answers, "phq9_9": 1}}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["total"], body["band"], body["band_label"], body["safety_flag"]) == (10, "moderate", "Moderate", True)
    assert body["max_total"] == 27
    assert response["Location"] == body["url"]
    assert member_api.get(body["url"]).json()["id"] == body["id"]


def test_an_api_client_without_credits_is_not_charged(broke_member, gad7_answers):
    api = APIClient()
    api.force_authenticate(broke_member)
    entries = LedgerEntry.objects.count()
    response = api.post(CHECKS, {"instrument": "gad7", "answers": gad7_answers}, format="json")
    assert response.status_code == 201
    assert response.json()["band"] == "moderate"
    assert LedgerEntry.objects.count() == entries


def test_a_missing_item_is_a_field_error_naming_it(member_api, phq9_answers):
    del phq9_answers["phq9_7"]
    response = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "Some answers are missing or not valid.",
        "extra": {"fields": {"phq9_7": ["Please answer question 7."]}},
    }


def test_an_unknown_instrument_is_a_field_error(member_api, phq9_answers):
    response = member_api.post(CHECKS, {"instrument": "phq2", "answers": phq9_answers}, format="json")
    assert response.status_code == 400
    assert response.json()["extra"]["fields"]["instrument"] == ["Choose one of: phq9, gad7."]


def test_idempotency_key_replays_and_conflicts_like_screenings(member_api, phq9_answers):
    body = {"instrument": "phq9", "answers": phq9_answers}
    first = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    other = {"instrument": "phq9", "answers": {**phq9_answers, "phq9_2": 0}}
    conflict = member_api.post(CHECKS, other, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    too_long = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)

    assert (first.status_code, again.status_code, conflict.status_code, too_long.status_code) == (201, 201, 409, 400)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert "Idempotency-Key" in too_long.json()["extra"]["fields"]
    assert SymptomCheck.objects.count() == 1


def test_the_list_is_the_owners_only_newest_first_and_filterable(member_api, outsider, phq9_answers, gad7_answers):
    member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")
    member_api.post(CHECKS, {"instrument": "gad7", "answers": gad7_answers}, format="json")
    theirs = APIClient()
    theirs.force_authenticate(outsider)
    theirs.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")

    listed = member_api.get(CHECKS).json()
    assert listed["count"] == 2
    assert [c["instrument"] for c in listed["results"]] == ["gad7", "phq9"]
    assert [c["instrument"] for c in member_api.get(CHECKS, {"instrument": "phq9"}).json()["results"]] == ["phq9"]


def test_nobody_else_sees_a_check_or_its_fhir(member_api, outsider, phq9_answers, api_client):
    body = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json").json()
    theirs = APIClient()
    theirs.force_authenticate(outsider)
    assert theirs.get(body["url"]).status_code == 404
    assert theirs.get(body["fhir_url"]).status_code == 404
    assert api_client.get(body["url"]).status_code == 401
    assert api_client.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json").status_code == 401


def test_the_fhir_download_is_a_valid_questionnaire_response(member_api, phq9_answers):
    body = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json").json()
    response = member_api.get(body["fhir_url"])
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    resource = response.json()
    assert validated(resource) == resource
    assert resource["questionnaire"] == "http://loinc.org/q/44249-1"
    assert resource["item"][-1] == {
        "linkId": "44261-6",
        "text": "Patient Health Questionnaire 9 item (PHQ-9) total score",
        "answer": [{"valueInteger": 9}],
    }


def test_the_openapi_schema_documents_every_symptom_endpoint_with_examples(api_client):
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/instruments/",
        "/api/v1/symptom-checks/",
        "/api/v1/symptom-checks/{check_id}/",
        "/api/v1/symptom-checks/{check_id}/fhir/",
    ):
        assert path in paths, path
    post = paths["/api/v1/symptom-checks/"]["post"]
    request_example = post["requestBody"]["content"]["application/json"]["examples"]["APHQ-9"]["value"]
    assert request_example["instrument"] == "phq9"
    assert len(request_example["answers"]) == 10
    assert post["responses"]["201"]["content"]["application/json"]["examples"]["ScoredAtOnce"]["value"]["total"] == 9
    assert post["responses"]["400"]["content"]["application/json"]["examples"]["AnItemLeftOut"]["value"]["extra"]
    instruments = paths["/api/v1/instruments/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert instruments["examples"]["ThePHQ-9"]["value"][0]["key"] == "phq9"
    assert "Idempotency-Key" in [p["name"] for p in post["parameters"]]
    fhir = paths["/api/v1/symptom-checks/{check_id}/fhir/"]["get"]["responses"]["200"]["content"]
    assert "application/fhir+json" in fhir
