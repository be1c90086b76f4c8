"""HL7 FHIR R4 QuestionnaireResponse for a symptom check, checked by fhir.resources before it leaves.

fhir.resources ships R5 (default), R4B and STU3 models for pydantic v2; QuestionnaireResponse is unchanged
between R4 (4.0.1) and R4B (4.3.0), so the R4B model validates the R4 resource we serve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext, override
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


# --- Pages: a person's checks as FHIR, a bounded number per request ---------------------------------------------------
#
# A Bundle of all of a person's checks grew without bound (issue 26: 2,500 checks, 10.8 MB, 58 s of a web thread).
# Every all-checks Bundle is served in pages, the FHIR way (R4 http.html#paging, bundle.html#Bundle.link): `_count`
# records per page (DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE), `page` counted from 1, and Bundle.link with `self`,
# `first`, `previous`, `next` and `last` as absolute URLs a client follows until there is no `next`. Records are
# ordered oldest first, so a check stored while a client walks the pages lands on the last page instead of shifting
# the pages it has already read. A collection Bundle may not carry `total` (invariant bdl-1: search and history
# only); the `last` link says how many pages there are. docs/sharing.md#fhir-bundle-pages.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
COUNT_PARAMETER = "_count"
PAGE_PARAMETER = "page"


class PageNotFound(Exception):
    """A page number past the last page."""


@dataclass(frozen=True)
class BundlePage:
    number: int  # from 1
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def bundle_page(params: Mapping[str, str]) -> BundlePage:
    """The page a request asks for (`_count`, `page`); a `_count` above MAX_PAGE_SIZE is served MAX_PAGE_SIZE, as
    FHIR lets a server return fewer than asked. Raises ValidationError (per parameter) for anything else invalid."""
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for name, default, ceiling in ((COUNT_PARAMETER, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), (PAGE_PARAMETER, 1, None)):
        raw = params.get(name, "")
        if raw == "":
            values[name] = default
            continue
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            errors[name] = [gettext("Send a whole number of 1 or more.")]
        values[name] = min(value, ceiling) if ceiling else value
    if errors:
        raise ValidationError(errors)
    return BundlePage(number=values[PAGE_PARAMETER], size=values[COUNT_PARAMETER])


def page_count(*, records: int, page: BundlePage) -> int:
    """How many pages `records` fill; a page past them raises PageNotFound (the first page always exists)."""
    pages = max(1, math.ceil(records / page.size))
    if page.number > pages:
        raise PageNotFound(page.number)
    return pages


def page_links(*, page: BundlePage, pages: int, url: Callable[[dict[str, int]], str]) -> list[dict[str, str]]:
    """Bundle.link for this page; `url(query)` makes the absolute URL of the same request with `query`."""

    def link(relation: str, number: int) -> dict[str, str]:
        return {"relation": relation, "url": url({COUNT_PARAMETER: page.size, PAGE_PARAMETER: number})}

    links = [link("self", page.number), link("first", 1)]
    if page.number > 1:
        links.append(link("previous", page.number - 1))
    if page.number < pages:
        links.append(link("next", page.number + 1))
    links.append(link("last", pages))
    return links


def page_url_for(request: Any) -> Callable[[dict[str, int]], str]:
    """For a request (Django's or DRF's): the absolute URL of the same request with other paging parameters."""

    def url(query: dict[str, int]) -> str:
        params = request.GET.copy()
        for name, value in query.items():
            params[name] = str(value)
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return url


def questionnaire_response_bundle(
    checks: list[SymptomCheck], links: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """Several checks as one collection Bundle, for "download all" (one page of them, with its links)."""
    resource: dict[str, Any] = {"resourceType": "Bundle", "type": "collection"}
    if links:
        resource["link"] = links
    resource["entry"] = [
        {"fullUrl": f"urn:uuid:{check.id}", "resource": questionnaire_response(check)} for check in checks
    ]
    return validated(resource)


def questionnaire_response_page(
    *, checks: QuerySet[SymptomCheck], page: BundlePage, url: Callable[[dict[str, int]], str]
) -> dict[str, Any]:
    """One page of `checks` (oldest first) as a collection Bundle with its paging links."""
    checks = checks.order_by("created_at", "id")
    pages = page_count(records=checks.count(), page=page)
    chosen = list(checks[page.offset : page.offset + page.size])
    return questionnaire_response_bundle(chosen, page_links(page=page, pages=pages, url=url))
