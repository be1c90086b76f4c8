"""One HL7 FHIR R4 collection Bundle an electronic health record can file: the symptom checks, their totals as
Observations, the life-factor estimates as RiskAssessments (when the person chose them), the Patient, and
Provenances: the patient reported the answers through this software; the software worked out the estimates.

Sources (checked 2026-12-07):
- Observation: US Core Observation Screening Assessment Profile, US Core 8.0.0
  (http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment): status, category
  `survey` (http://terminology.hl7.org/CodeSystem/observation-category), code, subject (Patient) are required;
  effective[x], performer, value[x] and derivedFrom (the QuestionnaireResponse) are must-support.
- Codes: LOINC 44261-6 "Patient Health Questionnaire 9 item (PHQ-9) total score", 70274-6 "Generalized anxiety
  disorder 7 item (GAD-7) total score" (symptoms.instruments).
- RiskAssessment, Provenance (agent type from http://terminology.hl7.org/CodeSystem/provenance-participant-type),
  Device: FHIR R4 (4.0.1). fhir.resources' R4B models check every resource (R4B left these unchanged from R4).

Every reference is a `urn:uuid:` fullUrl of an entry of the same Bundle. A person's records come in pages
(symptoms.fhir: `_count`, `page`, Bundle.link): the checks oldest first, then the estimates oldest first. Each page
is a Bundle of its own that an EHR can file alone: it carries the Patient and the Device its resources point at,
and a Provenance for its own resources. The Patient's id is the same on every page of a request (derived from the
share link, or from the account for the owner's own download), so the pages of one export join up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext, override
from fhir.resources.R4B.bundle import Bundle

from screening.models import Screening
from sharing.selectors import estimates
from symptoms.fhir import BundlePage, page_count, page_links, questionnaire_response
from symptoms.instruments import LOINC
from symptoms.models import SymptomCheck
from symptoms.selectors import symptom_check_list

if TYPE_CHECKING:
    from accounts.models import User

SOFTWARE_NAME = "Mental Health Checker"
US_CORE_SCREENING = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# This software's own code systems (a band of an instrument; a model of the predictor), named under a URN of its own.
BAND_SYSTEM = "urn:mental-health-checker:band"
MODEL_SYSTEM = "urn:mental-health-checker:model"
# Stable ids derived from the row's id: the same check always gives the same Observation.
_NAMESPACE = uuid.UUID("6f1c2b8e-3d4a-4e7b-9a51-0c2d8e7f4b13")


def _urn(resource_id: str) -> str:
    return f"urn:uuid:{resource_id}"


def _derived_id(source: uuid.UUID, what: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{what}:{source}"))


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": _urn(resource_id)}


def _patient(patient_id: str, user: User, *, show_name: bool, show_email: bool) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": patient_id}
    if show_name and user.display_name:
        patient["name"] = [{"text": user.display_name}]
    if show_email:
        patient["telecom"] = [{"system": "email", "value": user.email}]
    return patient


def _total_observation(check: SymptomCheck, response_id: str, patient_id: str) -> dict[str, Any]:
    instrument = check.definition
    with override("en"):
        code_display = str(instrument.total_label)
    return {
        "resourceType": "Observation",
        "id": _derived_id(check.id, "total"),
        "meta": {"profile": [US_CORE_SCREENING]},
        "status": "final",
        "category": [
            {"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]},
        ],
        "code": {"coding": [{"system": LOINC, "code": instrument.total_loinc, "display": code_display}]},
        "subject": _ref(patient_id),
        "effectiveDateTime": check.created_at.isoformat(),
        "performer": [_ref(patient_id)],
        "valueInteger": check.total,
        "interpretation": [
            {
                "coding": [{"system": f"{BAND_SYSTEM}:{check.instrument}", "code": check.band}],
                "text": str(instrument.band(check.band).label),
            }
        ],
        "derivedFrom": [_ref(response_id)],
    }


def _answers_item(key: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None  # "prefer not to say": no answer
    answer: dict[str, Any]
    if isinstance(value, bool):
        answer = {"valueBoolean": value}
    elif isinstance(value, int):
        answer = {"valueInteger": value}
    elif isinstance(value, float):
        answer = {"valueDecimal": value}
    else:
        answer = {"valueString": str(value)}
    return {"linkId": key, "answer": [answer]}


def _estimate_answers(screening: Screening, patient_id: str) -> dict[str, Any]:
    items = [item for key, value in sorted(screening.answers.items()) if (item := _answers_item(key, value))]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": _derived_id(screening.id, "answers"),
        "status": "completed",
        "subject": _ref(patient_id),
        "author": _ref(patient_id),
        "source": _ref(patient_id),
        "authored": screening.created_at.isoformat(),
        "item": items,
    }


def _risk_assessment(screening: Screening, answers_id: str, patient_id: str) -> dict[str, Any]:
    prediction: dict[str, Any] = {
        "outcome": {"text": gettext("A PHQ-9 total of 10 or more (a positive depression screen)")},
        "probabilityDecimal": round(screening.probability or 0.0, 4),
        "qualitativeRisk": {"text": screening.get_risk_band_display()},
    }
    if screening.interval_low is not None and screening.interval_high is not None:
        # probability[x] holds one value; the model's range goes beside it in words.
        prediction["rationale"] = gettext("Range around the estimate: %(low)s to %(high)s.") % {
            "low": f"{screening.interval_low:.3f}",
            "high": f"{screening.interval_high:.3f}",
        }
    return {
        "resourceType": "RiskAssessment",
        "id": str(screening.id),
        "status": "final",
        "subject": _ref(patient_id),
        "occurrenceDateTime": (screening.finished_at or screening.created_at).isoformat(),
        "method": {
            "coding": [
                {
                    "system": MODEL_SYSTEM,
                    "code": screening.model_key,
                    "version": screening.model_version,
                    "display": screening.get_model_key_display(),
                }
            ],
            "text": f"{screening.get_model_key_display()} {screening.model_version}",
        },
        "basis": [_ref(answers_id)],
        "prediction": [prediction],
        "note": [{"text": gettext("Estimated from life-factor answers, not from symptoms. Not a diagnosis.")}],
    }


def _device(device_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Device",
        "id": device_id,
        "deviceName": [{"name": SOFTWARE_NAME, "type": "user-friendly-name"}],
        "type": {"text": "software"},
    }


def _agent(code: str, display: str, who: str, on_behalf_of: str | None = None) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": code, "display": display}]},
        "who": _ref(who),
    }
    if on_behalf_of:
        agent["onBehalfOf"] = _ref(on_behalf_of)
    return agent


def _provenance_id(kind: str, targets: list[str]) -> str:
    # The same page of the same records gives the same Provenance: filing a page twice does not add another.
    return str(uuid.uuid5(_NAMESPACE, f"provenance:{kind}:{','.join(targets)}"))


def _reported_provenance(targets: list[str], patient_id: str, device_id: str) -> dict[str, Any]:
    """The answers and their totals: reported by the patient (author), through this software (assembler)."""
    return {
        "resourceType": "Provenance",
        "id": _provenance_id("reported", targets),
        "target": [_ref(target) for target in targets],
        "recorded": timezone.now().isoformat(),
        "agent": [
            _agent("author", "Author", patient_id),
            _agent("assembler", "Assembler", device_id, on_behalf_of=patient_id),
        ],
    }


def _estimated_provenance(targets: list[str], patient_id: str, device_id: str) -> dict[str, Any]:
    """The estimates: worked out by this software (author) from what the patient reported (informant)."""
    return {
        "resourceType": "Provenance",
        "id": _provenance_id("estimated", targets),
        "target": [_ref(target) for target in targets],
        "recorded": timezone.now().isoformat(),
        "agent": [_agent("author", "Author", device_id), _agent("informant", "Informant", patient_id)],
    }


def summary_bundle(
    *,
    user: User,
    include_estimates: bool,
    page: BundlePage,
    url: Callable[[dict[str, int]], str],
    patient_key: str = "",
    show_name: bool = True,
    show_email: bool = False,
    language: str | None = None,
) -> dict[str, Any]:
    """One page of the Bundle for `user`: texts in `language` (default: the active one), codes' displays in
    English. `url(query)` makes the page links' URLs; `patient_key` (a share link's id) makes the Patient's id, the
    account's id when empty. Raises symptoms.fhir.PageNotFound past the last page."""
    checks = symptom_check_list(user=user).order_by("created_at", "id")
    screenings = estimates(user=user) if include_estimates else None
    checks_count = checks.count()
    pages = page_count(records=checks_count + (screenings.count() if screenings is not None else 0), page=page)
    first, stop = page.offset, page.offset + page.size
    page_checks = list(checks[first:stop]) if first < checks_count else []
    page_estimates: list[Screening] = []
    if screenings is not None and stop > checks_count:  # the estimates follow the checks
        page_estimates = list(screenings[max(0, first - checks_count) : stop - checks_count])
    patient_id = str(uuid.uuid5(_NAMESPACE, f"patient:{patient_key or f'account:{user.pk}'}"))
    with override(language) if language else nullcontext():
        resources = _resources(
            user, page_checks, page_estimates, patient_id=patient_id, show_name=show_name, show_email=show_email
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "link": page_links(page=page, pages=pages, url=url),
        "entry": [{"fullUrl": _urn(resource["id"]), "resource": resource} for resource in resources],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)


def _resources(
    user: User,
    checks: list[SymptomCheck],
    screenings: list[Screening],
    *,
    patient_id: str,
    show_name: bool,
    show_email: bool,
) -> list[dict[str, Any]]:
    device_id = str(uuid.uuid5(_NAMESPACE, "device"))
    resources = [_patient(patient_id, user, show_name=show_name, show_email=show_email), _device(device_id)]
    reported: list[str] = []
    estimated: list[str] = []
    for check in checks:
        response = questionnaire_response(check)
        response.update({"subject": _ref(patient_id), "author": _ref(patient_id), "source": _ref(patient_id)})
        observation = _total_observation(check, response["id"], patient_id)
        resources += [response, observation]
        reported += [response["id"], observation["id"]]
    for screening in screenings:
        answers = _estimate_answers(screening, patient_id)
        assessment = _risk_assessment(screening, answers["id"], patient_id)
        resources += [answers, assessment]
        reported.append(answers["id"])
        estimated.append(assessment["id"])
    resources.append(_reported_provenance(reported or [patient_id], patient_id, device_id))
    if estimated:
        resources.append(_estimated_provenance(estimated, patient_id, device_id))
    return resources
