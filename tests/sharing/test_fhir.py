"""The FHIR R4 Bundle: every resource valid (fhir.resources' R4B models), every reference resolved in the bundle,
and the total's Observation shaped after the US Core Observation Screening Assessment Profile (US Core 8.0.0)."""

from urllib.parse import urlencode

import pytest
from django.utils import translation
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from sharing.fhir import US_CORE_SCREENING, summary_bundle
from symptoms.fhir import DEFAULT_PAGE_SIZE, BundlePage
from symptoms.instruments import LOINC


def first_page(**kwargs) -> dict:
    """The Bundle's first page, as the download of a person with fewer records than a page gets it."""
    url = lambda query: f"https://example.org/bundle/?{urlencode(query)}"  # noqa: E731
    return summary_bundle(page=BundlePage(number=1, size=DEFAULT_PAGE_SIZE), url=url, **kwargs)


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def _references(node, path="") -> list[tuple[str, str]]:
    """Every `reference` anywhere in a resource, with where it was found."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                found.append((path, value))
            else:
                found += _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _references(value, f"{path}[{index}]")
    return found


@pytest.fixture(params=["en", "es", "ru"])
def bundle(request, member, history):
    return first_page(user=member, include_estimates=True, language=request.param)


def test_every_resource_of_the_bundle_parses_as_fhir_r4(bundle):
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    Bundle.model_validate(bundle)
    kinds = []
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        kinds.append(resource["resourceType"])
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    assert sorted(kinds) == sorted(
        [
            "Patient",
            "Device",
            "QuestionnaireResponse",
            "Observation",
            "QuestionnaireResponse",
            "Observation",
            "QuestionnaireResponse",
            "RiskAssessment",
            "Provenance",
            "Provenance",
        ]
    )


def test_every_reference_resolves_inside_the_bundle(bundle):
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = [ref for entry in bundle["entry"] for ref in _references(entry["resource"])]
    assert len(references) > 10
    unresolved = [(path, ref) for path, ref in references if ref not in full_urls]
    assert unresolved == []


def test_each_total_is_a_us_core_screening_assessment_observation(bundle, history):
    patient = "urn:uuid:" + _resources(bundle, "Patient")[0]["id"]
    responses = {r["id"]: r for r in _resources(bundle, "QuestionnaireResponse")}
    observations = {o["code"]["coding"][0]["code"]: o for o in _resources(bundle, "Observation")}
    assert set(observations) == {"44261-6", "70274-6"}
    for code, check in (("44261-6", history["phq9"]), ("70274-6", history["gad7"])):
        observation = observations[code]
        # Required by the profile: status, category survey, code, subject (a Patient).
        assert observation["meta"]["profile"] == [US_CORE_SCREENING]
        assert observation["status"] == "final"
        assert {"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}.items() <= (
            observation["category"][0]["coding"][0].items()
        )
        assert observation["code"]["coding"][0]["system"] == LOINC
        assert observation["subject"] == {"reference": patient}
        # Must-support: effective[x], performer, value[x], derivedFrom.
        assert observation["effectiveDateTime"].startswith(check.created_at.date().isoformat())
        assert observation["performer"] == [{"reference": patient}]
        assert isinstance(observation["valueInteger"], int)
        assert not isinstance(observation["valueInteger"], bool)
        assert observation["valueInteger"] == check.total
        assert observation["interpretation"][0]["coding"][0]["code"] == check.band
        assert observation["interpretation"][0]["text"]
        derived = observation["derivedFrom"][0]["reference"].removeprefix("urn:uuid:")
        assert responses[derived]["questionnaire"] == f"{LOINC}/q/{check.definition.loinc}"
        assert responses[derived]["subject"] == {"reference": patient}


def test_the_estimate_is_a_risk_assessment_on_the_answers_it_was_made_from(bundle, history):
    estimate = history["estimate"]
    (assessment,) = _resources(bundle, "RiskAssessment")
    assert assessment["status"] == "final"
    prediction = assessment["prediction"][0]
    assert prediction["probabilityDecimal"] == pytest.approx(0.23)
    assert "0.150" in prediction["rationale"]
    assert "0.310" in prediction["rationale"]
    assert assessment["method"]["coding"][0]["code"] == estimate.model_key
    assert assessment["method"]["coding"][0]["version"] == "v-test"
    basis = assessment["basis"][0]["reference"].removeprefix("urn:uuid:")
    (answers,) = [r for r in _resources(bundle, "QuestionnaireResponse") if r["id"] == basis]
    assert {item["linkId"] for item in answers["item"]} == {"age", "sex"}


def test_the_provenance_says_the_patient_reported_it_through_this_software(bundle):
    reported, estimated = _resources(bundle, "Provenance")
    patient = "urn:uuid:" + _resources(bundle, "Patient")[0]["id"]
    device = "urn:uuid:" + _resources(bundle, "Device")[0]["id"]
    assert _resources(bundle, "Device")[0]["deviceName"][0]["name"] == "Mental Health Checker"

    def agents(provenance):
        return {agent["type"]["coding"][0]["code"]: agent["who"]["reference"] for agent in provenance["agent"]}

    def targets(provenance):
        return {target["reference"] for target in provenance["target"]}

    by_kind = {e["resource"]["resourceType"]: set() for e in bundle["entry"]}
    for entry in bundle["entry"]:
        by_kind[entry["resource"]["resourceType"]].add(entry["fullUrl"])
    assert agents(reported) == {"author": patient, "assembler": device}
    assert targets(reported) == by_kind["QuestionnaireResponse"] | by_kind["Observation"]
    # The estimate is the software's, from what the patient reported.
    assert agents(estimated) == {"author": device, "informant": patient}
    assert targets(estimated) == by_kind["RiskAssessment"]


def test_the_patient_holds_no_more_than_the_person_chose(member, history):
    named = _resources(first_page(user=member, include_estimates=False), "Patient")[0]
    assert named["name"] == [{"text": member.display_name}]
    assert "telecom" not in named
    assert member.email not in str(named)
    anonymous = _resources(first_page(user=member, include_estimates=False, show_name=False), "Patient")[0]
    assert set(anonymous) == {"resourceType", "id"}
    with_email = _resources(first_page(user=member, include_estimates=False, show_email=True), "Patient")[0]
    assert with_email["telecom"] == [{"system": "email", "value": member.email}]


def test_without_estimates_there_is_no_risk_assessment_nor_its_answers(member, history):
    bundle = first_page(user=member, include_estimates=False)
    assert _resources(bundle, "RiskAssessment") == []
    assert len(_resources(bundle, "QuestionnaireResponse")) == 2


def test_texts_follow_the_chosen_language_and_codes_stay_english(member, history):
    with translation.override("en"):
        bundle = first_page(user=member, include_estimates=True, language="es")
    (assessment,) = _resources(bundle, "RiskAssessment")
    assert "diagnóstico" in assessment["note"][0]["text"]
    phq9 = next(r for r in _resources(bundle, "QuestionnaireResponse") if r.get("language"))
    assert phq9["language"].startswith("es")
    observation = _resources(bundle, "Observation")[0]
    assert "total score" in observation["code"]["coding"][0]["display"]


def test_a_person_with_no_checks_gets_a_valid_bundle_of_the_patient_alone(outsider):
    bundle = first_page(user=outsider, include_estimates=True)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == ["Patient", "Device", "Provenance"]
    Bundle.model_validate(bundle)
