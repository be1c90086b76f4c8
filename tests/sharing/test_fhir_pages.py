"""Every Bundle of a person's checks comes in pages (symptoms.fhir: `_count`, `page`, Bundle.link): one request
holds at most a page, each page is a Bundle an EHR can file alone, and following `next` yields every record once."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from sharing.models import ShareOpening
from sharing.services import share_link_create
from symptoms.fhir import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from symptoms.instruments import GAD7, PHQ9, score
from symptoms.models import SymptomCheck
from tests.factories import ScreeningFactory
from tests.sharing.test_fhir import _references

pytestmark = pytest.mark.django_db


def many_checks(user, count: int) -> set[str]:
    """`count` checks over the last weeks, stored at once (past any volume limit, as the probe's account was)."""
    now = timezone.now()
    rows = []
    for n in range(count):
        instrument = (PHQ9, GAD7)[n % 2]
        answers = {item.key: n % 4 for item in instrument.items}
        result = score(instrument, answers)
        rows.append(
            SymptomCheck(
                owner=user,
                instrument=instrument.key,
                answers=answers,
                total=result.total,
                band=result.band.key,
                safety_flag=result.safety_flag,
            )
        )
    SymptomCheck.objects.bulk_create(rows)
    for n, check in enumerate(SymptomCheck.objects.filter(owner=user)):
        SymptomCheck.objects.filter(id=check.id).update(created_at=now - timedelta(hours=n))
    return {str(check.id) for check in rows}


def estimate(user):
    return ScreeningFactory(
        owner=user, status="done", probability=0.2, risk_band="high", base_rate=0.087, model_version="v-test",
        finished_at=timezone.now(), factors=[],
    )  # fmt: skip


def links(bundle: dict) -> dict[str, str]:
    return {link["relation"]: link["url"] for link in bundle.get("link", [])}


def walk(get, url: str) -> list[dict]:
    """Every page from `url`, following `next`; each page must be a 200 FHIR Bundle."""
    pages = []
    while url:
        response = get(url)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"].startswith("application/fhir+json")
        pages.append(json.loads(response.content))
        url = links(pages[-1]).get("next")
        assert len(pages) < 50, "the pages do not end"
    return pages


def assert_filed_alone(page: dict) -> None:
    """Every reference of the page resolves inside it: it carries the Patient, the Device and its Provenance."""
    full_urls = {entry["fullUrl"] for entry in page["entry"]}
    references = [ref for entry in page["entry"] for _, ref in _references(entry["resource"])]
    assert [ref for ref in references if ref not in full_urls] == []


def of_kind(pages: list[dict], kind: str) -> list[str]:
    return [e["resource"]["id"] for page in pages for e in page["entry"] if e["resource"]["resourceType"] == kind]


@pytest.fixture
def owner_api(member) -> APIClient:
    api = APIClient()
    api.force_authenticate(member)
    return api


def test_the_api_bundle_of_more_checks_than_a_page_comes_a_page_at_a_time(member, owner_api):
    checks = many_checks(member, DEFAULT_PAGE_SIZE + 3)
    screening = estimate(member)
    url = reverse("api-fhir-bundle") + "?estimates=true"

    first = owner_api.get(url, HTTP_ACCEPT="application/fhir+json")

    assert first.status_code == 200
    page = first.json()
    assert page["type"] == "collection"
    assert len(of_kind([page], "QuestionnaireResponse")) == DEFAULT_PAGE_SIZE
    assert of_kind([page], "RiskAssessment") == []
    assert set(links(page)) == {"self", "first", "next", "last"}
    assert links(page)["next"].startswith("http://testserver/api/v1/me/fhir-bundle/?")
    assert "estimates=true" in links(page)["next"]
    assert "page=2" in links(page)["next"]

    pages = walk(lambda u: owner_api.get(u, HTTP_ACCEPT="application/fhir+json"), url)

    assert len(pages) == 2
    assert set(links(pages[1])) == {"self", "first", "previous", "last"}
    responses = of_kind(pages, "QuestionnaireResponse")
    # Every check once (its answers' QuestionnaireResponse has the check's id), then the estimate and its answers.
    assert sorted(r for r in responses if r in checks) == sorted(checks)
    assert len(responses) == len(checks) + 1
    assert of_kind(pages, "RiskAssessment") == [str(screening.id)]
    assert len(of_kind(pages, "Observation")) == len(checks)
    for page in pages:
        assert_filed_alone(page)
        assert len(of_kind([page], "Patient")) == len(of_kind([page], "Device")) == 1
    # One Patient across the pages of one export: an EHR joins them up.
    assert len(set(of_kind(pages, "Patient"))) == 1


def test_a_share_links_bundle_is_walked_by_its_next_links_and_opened_once(client, member):
    checks = many_checks(member, 7)
    link = share_link_create(user=member, contents="checks", days=7, language="en", show_name=False)
    url = reverse("sharing:shared-fhir", args=[link.token]) + "?_count=3"

    pages = walk(client.get, url)

    assert len(pages) == 3
    assert [len(of_kind([page], "QuestionnaireResponse")) for page in pages] == [3, 3, 1]
    assert sorted(of_kind(pages, "QuestionnaireResponse")) == sorted(checks)
    for page in pages:
        assert_filed_alone(page)
    assert ShareOpening.objects.filter(link=link.link).count() == 1


@pytest.mark.parametrize("name", ["symptoms:fhir-all", "sharing:fhir-bundle"])
def test_the_web_downloads_come_a_page_at_a_time(client, member, name):
    checks = many_checks(member, DEFAULT_PAGE_SIZE + 1)
    client.force_login(member)

    first = client.get(reverse(name))
    pages = walk(client.get, reverse(name))

    assert len(of_kind([json.loads(first.content)], "QuestionnaireResponse")) == DEFAULT_PAGE_SIZE
    assert len(pages) == 2
    assert sorted(of_kind(pages, "QuestionnaireResponse")) == sorted(checks)
    for page in pages:
        assert_filed_alone(page)
    assert 'filename="' in client.get(links(pages[1])["self"])["Content-Disposition"]


def test_a_count_above_the_maximum_is_served_the_maximum(member, owner_api):
    many_checks(member, 2)
    page = owner_api.get(reverse("api-fhir-bundle") + "?_count=100000").json()
    assert f"_count={MAX_PAGE_SIZE}" in links(page)["self"]


def test_a_bad_count_or_a_page_past_the_last_is_refused_in_the_one_error_shape(member, owner_api, client):
    many_checks(member, 2)
    url = reverse("api-fhir-bundle")

    bad = owner_api.get(url + "?_count=0&page=x")
    past = owner_api.get(url + "?page=2")

    assert bad.status_code == 400
    assert set(bad.json()["extra"]["fields"]) == {"_count", "page"}
    assert past.status_code == 404
    assert set(past.json()) == {"message", "extra"}
    client.force_login(member)
    web_bad = client.get(reverse("symptoms:fhir-all") + "?_count=-1")
    assert web_bad.status_code == 400
    assert web_bad.json()["extra"]["fields"]["_count"] == ["Send a whole number of 1 or more."]
    assert client.get(reverse("sharing:fhir-bundle") + "?page=3").status_code == 404


def test_the_schema_documents_the_page_parameters(api_client):
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/me/fhir-bundle/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["_count"]["schema"] == {"type": "integer", "minimum": 1}
    assert f"at most {MAX_PAGE_SIZE}" in parameters["_count"]["description"]
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert {"400", "404"} <= set(operation["responses"])


def test_the_sharing_page_offers_every_part_of_a_long_history(client, member):
    many_checks(member, MAX_PAGE_SIZE + 1)
    client.force_login(member)
    html = client.get(reverse("sharing:manage")).content.decode()
    assert "it comes in several files of up to 100 checks or estimates each" in html
    assert f'href="{reverse("sharing:fhir-bundle")}?_count=100&amp;page=2" download>Part 2</a>' in html
    assert "page=3" not in html
