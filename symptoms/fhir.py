"""HL7 FHIR R4 QuestionnaireResponse for a symptom check, checked by fhir.resources before it leaves.

fhir.resources ships R5 (default), R4B and STU3 models for pydantic v2; QuestionnaireResponse is unchanged
between R4 (4.0.1) and R4B (4.3.0), so the R4B model validates the R4 resource we serve.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import override
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from symptoms.instruments import LOINC
from symptoms.models import SymptomCheck

CONTENT_TYPE = "application/fhir+json; fhirVersion=4.0"


def _coding(code: str, display: str) -> dict[str, str]:
    return {"system": LOINC, "code": code, "display": display}


def _in_english(text: Any) -> str:
    """A code's display stays English whatever the page's language (the title is translated for pages)."""
    with override("en"):
        return str(text)


def questionnaire_response(check: SymptomCheck, language: str | None = None) -> dict[str, Any]:
    """One check as a QuestionnaireResponse: each item with its LOINC code and LA answer code, and the total.

    Item texts are the wording of `language` (default: the active one) where a published version is held, and the
    resource's `language` says which; answer codings keep LOINC's own (English) display, as the code system gives it.
    """
    instrument = check.definition
    shown = instrument.localized(language)
    items: list[dict[str, Any]] = []
    for item, shown_item in zip(instrument.items, shown.items, strict=True):
        option = instrument.option(check.answers[item.key])
        items.append(
            {
                "linkId": item.loinc,
                "text": shown_item.text,
                "answer": [{"valueCoding": _coding(option.loinc, option.label)}],
            }
        )
    difficulty = instrument.difficulty
    if difficulty and shown.difficulty and check.answers.get(difficulty.key) is not None:
        option = instrument.difficulty_option(check.answers[difficulty.key])
        items.append(
            {
                "linkId": difficulty.loinc or difficulty.key,
                "text": shown.difficulty.text,
                "answer": [{"valueCoding": _coding(option.loinc, option.label)}],
            }
        )
    items.append(
        {"linkId": instrument.total_loinc, "text": instrument.total_label, "answer": [{"valueInteger": check.total}]}
    )
    resource = {
        "resourceType": "QuestionnaireResponse",
        "id": str(check.id),
        "meta": {"tag": [_coding(instrument.loinc, _in_english(instrument.title))]},
        "language": shown.language,
        # LOINC publishes its forms as FHIR Questionnaires at http://loinc.org/q/<panel code>.
        "questionnaire": f"{LOINC}/q/{instrument.loinc}",
        "status": "completed",
        "authored": check.created_at.isoformat(),
        "item": items,
    }
    return validated(resource)


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Parse with the FHIR model (raises pydantic's ValidationError on anything invalid) and serialise it back."""
    model = Bundle if resource.get("resourceType") == "Bundle" else QuestionnaireResponse
    return model.model_validate(resource).model_dump(mode="json", exclude_none=True)


def questionnaire_response_bundle(checks: list[SymptomCheck]) -> dict[str, Any]:
    """Several checks as one collection Bundle, for "download all"."""
    resource = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{check.id}", "resource": questionnaire_response(check)} for check in checks],
    }
    return validated(resource)
