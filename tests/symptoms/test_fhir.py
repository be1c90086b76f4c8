import json

import pytest
from django.urls import reverse
from pydantic import ValidationError

from symptoms.fhir import questionnaire_response, questionnaire_response_bundle, validated
from symptoms.instruments import PHQ9
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db


@pytest.fixture
def checks(member, phq9_answers, gad7_answers):
    phq = symptom_check_submit(user=member, instrument_key="phq9", answers={**phq9_answers, "phq9_9": 2}).check
    gad = symptom_check_submit(user=member, instrument_key="gad7", answers=gad7_answers).check
    return phq, gad


def test_a_phq9_becomes_a_loinc_coded_questionnaire_response_that_the_library_accepts(checks):
    phq, _ = checks
    resource = questionnaire_response(phq)

    assert validated(resource) == resource
    assert resource["resourceType"] == "QuestionnaireResponse"
    assert resource["status"] == "completed"
    link_ids = [item["linkId"] for item in resource["item"]]
    assert link_ids == [
        "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8",
        "69722-7", "44261-6",
    ]  # fmt: skip
    item9 = resource["item"][8]["answer"][0]["valueCoding"]
    assert item9 == {"system": "http://loinc.org", "code": "LA6570-1", "display": "More than half the days"}
    assert resource["item"][-1]["answer"] == [{"valueInteger": phq.total}]


def test_a_gad7_has_its_panel_items_and_total(checks):
    _, gad = checks
    resource = questionnaire_response(gad)
    assert resource["questionnaire"] == "http://loinc.org/q/69737-5"
    assert [item["linkId"] for item in resource["item"]][-1] == "70274-6"
    assert len(resource["item"]) == 8
    assert resource["item"][-1]["answer"] == [{"valueInteger": 12}]


def test_all_checks_download_as_one_valid_bundle(checks):
    bundle = questionnaire_response_bundle(list(checks))
    assert validated(bundle) == bundle
    assert bundle["type"] == "collection"
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(c.id) for c in checks]


def test_the_library_refuses_a_broken_resource(checks):
    resource = questionnaire_response(checks[0])
    del resource["item"][0]["linkId"]
    with pytest.raises(ValidationError):
        validated(resource)
    with pytest.raises(ValidationError):
        validated({**questionnaire_response(checks[0]), "authored": "last Tuesday"})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "accept", ["application/fhir+json", "application/fhir+json; fhirVersion=4.0", "application/json"]
)
def test_a_fhir_client_may_ask_for_the_fhir_media_type(member, member_api, accept):
    check = symptom_check_submit(user=member, instrument_key="phq9", answers=answers_totalling(PHQ9, 5)).check

    response = member_api.get(reverse("api-symptom-check-fhir", args=[check.id]), HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    assert json.loads(response.content)["resourceType"] == "QuestionnaireResponse"


def test_the_export_claims_no_more_than_a_self_reported_questionnaire(checks):
    """A clinician's system files what it receives: the export must not read as a diagnosis or a clinician's finding
    (hazard H6 in docs/safety/hazard-log.md)."""
    bundle = questionnaire_response_bundle(list(checks))
    text = json.dumps(bundle).lower()

    assert {entry["resource"]["resourceType"] for entry in bundle["entry"]} == {"QuestionnaireResponse"}
    for word in ("condition", "diagnos", "interpretation", "clinicalstatus", "verificationstatus"):
        assert word not in text, word
    # Authored by the person themself, when they answered; no practitioner is named.
    assert all("author" not in entry["resource"] for entry in bundle["entry"])
    assert "practitioner" not in text
