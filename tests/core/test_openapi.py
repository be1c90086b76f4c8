"""The OpenAPI schema is the contract: generated without a warning, every status documented, answers typed from the
one questionnaire schema and the instruments, and the API accepting exactly what those types allow."""

import copy
import json
import math

import jsonschema_rs
import pytest
from django.core.management import call_command
from django.urls import reverse

from predictor.schema import QUESTIONS
from predictor.serializers import answers_shape_errors
from predictor.services import AnswersInvalid, validate_answers
from symptoms.api import submission_shape_errors
from symptoms.exceptions import SymptomAnswersInvalid
from symptoms.instruments import INSTRUMENTS
from symptoms.instruments import validate_answers as validate_symptom_answers

PUBLIC_WITHOUT_DATABASE = {"/api/v1/questionnaire/", "/api/v1/models/", "/api/v1/instruments/"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def test_the_schema_generates_and_validates_without_a_single_warning(tmp_path):
    # --fail-on-warn turns any drf-spectacular warning (an enum name collision, an unresolvable field) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert "QuestionnaireAnswersRequest" in (tmp_path / "schema.yaml").read_text()


def test_every_operation_documents_the_errors_its_request_path_can_answer(schema):
    for path, method, operation in operations(schema):
        statuses = set(operation["responses"])
        public = any(requirement == {} for requirement in operation.get("security", [{}]))
        where = f"{method} {path}"
        assert "406" in statuses, where
        assert ("503" in statuses) is (path not in PUBLIC_WITHOUT_DATABASE), where
        if not public:
            assert "401" in statuses, where
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= statuses, where
            assert list(operation["requestBody"]["content"]) == ["application/json"], where
            assert operation["requestBody"].get("required", False) is (method != "PATCH"), where
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            assert "404" in statuses, where
        for status, response in operation["responses"].items():
            if status >= "400":
                body = response["content"]["application/json"]["schema"]["$ref"]
                assert body.rsplit("/", 1)[1] in {"Error", "ValidationError", "AuthenticationError"}, (where, status)


def test_each_operation_documents_the_statuses_of_its_own_rules(schema):
    paths = schema["paths"]
    assert {"202", "402", "409"} <= set(paths["/api/v1/screenings/"]["post"]["responses"])
    assert {"201", "409"} <= set(paths["/api/v1/symptom-checks/"]["post"]["responses"])
    for path in ("/api/v1/auth/token/", "/api/v1/auth/token/refresh/"):
        assert {"401", "429"} <= set(paths[path]["post"]["responses"])
    assert "401" in paths["/api/v1/auth/logout/"]["post"]["responses"]  # a refresh token that is not valid
    assert "429" in paths["/api/v1/auth/register/"]["post"]["responses"]
    assert "429" in paths["/api/v1/me/"]["delete"]["responses"]
    assert "429" not in paths["/api/v1/me/"]["get"]["responses"]
    assert paths["/api/v1/screenings/"]["post"]["responses"]["503"]["headers"]["Retry-After"]


def test_the_answers_are_typed_from_the_questionnaire(schema):
    components = schema["components"]["schemas"]
    answers = components["QuestionnaireAnswersRequest"]

    assert list(answers["properties"]) == [question.key for question in QUESTIONS]
    assert answers["additionalProperties"] is False
    assert answers["required"] == [question.key for question in QUESTIONS if not question.optional]
    for question in QUESTIONS:
        prop = answers["properties"][question.key]
        assert prop.get("nullable", False) is question.optional, question.key
        if question.kind in ("integer", "number"):
            assert prop["type"] == question.kind
            assert (prop["minimum"], prop["maximum"]) == (question.min_value, question.max_value)
        elif question.kind == "choice":
            ref = next(part["$ref"] for part in prop.get("oneOf", prop.get("allOf", [])) if "Null" not in part["$ref"])
            assert components[ref.rsplit("/", 1)[1]]["enum"] == [value for value, _ in question.choices]
        else:
            listed = {value for branch in prop["oneOf"] for value in branch["items"]["enum"]}
            assert listed == {value for value, _ in question.choices}
    # The stored answers the API shows are the same typed object, every question's key present.
    screening = components["Screening"]["properties"]["answers"]
    assert screening.get("$ref", "").endswith("/QuestionnaireAnswers")


def test_the_symptom_items_are_typed_from_the_instruments(schema):
    components = schema["components"]["schemas"]
    body = components["SymptomCheckSubmitRequest"]
    assert body["discriminator"]["propertyName"] == "instrument"
    assert set(body["discriminator"]["mapping"]) == set(INSTRUMENTS)
    for key, instrument in INSTRUMENTS.items():
        answers = components[f"{key.capitalize()}AnswersRequest"]
        assert list(answers["properties"]) == [item.key for item in instrument.questions()]
        assert answers["required"] == [item.key for item in instrument.items]
        assert answers["additionalProperties"] is False
        for prop in answers["properties"].values():
            assert (prop["type"], prop["minimum"], prop["maximum"]) == ("integer", 0, 3)
    stored = components["SymptomCheck"]["properties"]["answers"]["allOf"][0]["$ref"]
    assert [part["$ref"] for part in components[stored.rsplit("/", 1)[1]]["oneOf"]] == [
        f"#/components/schemas/{key.capitalize()}Answers" for key in INSTRUMENTS
    ]


# --- The API accepts exactly what the schema allows ----------------------------------------------------------------


def as_json_schema(node):
    """OpenAPI 3.0 `nullable` as JSON Schema (what schemathesis does before it validates)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validator(schema: dict, component: str):
    document = {"$ref": f"#/components/schemas/{component}", "components": as_json_schema(schema["components"])}
    return jsonschema_rs.Draft4Validator(copy.deepcopy(document))


VALID = {"age": 34, "sex": "female"}
CANDIDATES = {
    "age": [34, 34.0, "34", 17, 121, True, None, 10**400],
    "sleep_hours": [6, 6.5, "6.5", -1, 25, math.inf, None, False],
    "education": ["high_school", "", " ", "college", None, 3],
    "conditions": [[], ["asthma"], ["asthma", "diabetes"], ["none"], ["none", "asthma"], ["none", "none"],
                   ["asthma", "asthma"], "asthma", [1], None],
    "shoe_size": [44],
}  # fmt: skip


@pytest.mark.parametrize(("key", "value"), [(key, value) for key, values in CANDIDATES.items() for value in values])
def test_the_api_accepts_an_answer_exactly_when_the_schema_allows_it(schema, key, value):
    answers = json.loads(json.dumps({**VALID, key: value}))
    # What the API accepts: the shape its serializer checks, then the values the service validates.
    refused: dict = answers_shape_errors(answers)
    if not refused:
        try:
            validate_answers(answers)
        except AnswersInvalid as error:
            refused = error.errors

    assert (not refused) is validator(schema, "QuestionnaireAnswersRequest").is_valid(answers), (key, value)
    assert not refused or key in refused  # refused by name


ITEMS = {f"phq9_{n}": 1 for n in range(1, 10)}


@pytest.mark.parametrize(
    "overrides",
    [{}, {"phq9_9": 3}, {"phq9_9": 4}, {"phq9_9": -1}, {"phq9_9": "2"}, {"phq9_9": 2.0}, {"phq9_9": True},
     {"phq9_9": None}, {"phq9_difficulty": None}, {"phq9_difficulty": 2}, {"phq9_difficulty": "2"},
     {"gad7_1": 1}],
)  # fmt: skip
def test_the_api_accepts_symptom_answers_exactly_when_the_schema_allows_them(schema, overrides):
    body = {"instrument": "phq9", "answers": {**ITEMS, **overrides}}
    # What the API accepts: the shape its serializer checks, then the values the service validates.
    refused: dict = submission_shape_errors(body)
    if not refused:
        try:
            validate_symptom_answers(INSTRUMENTS[body["instrument"]], body["answers"])
        except SymptomAnswersInvalid as error:
            refused = error.errors

    assert (not refused) is validator(schema, "SymptomCheckSubmitRequest").is_valid(body), overrides
    assert not refused or set(overrides) & set(refused)  # refused by name


def test_a_pair_of_instrument_and_answers_that_do_not_belong_together_is_refused(schema):
    body = {"instrument": "gad7", "answers": ITEMS}

    assert not validator(schema, "SymptomCheckSubmitRequest").is_valid(body)
    with pytest.raises(SymptomAnswersInvalid):
        validate_symptom_answers(INSTRUMENTS[body["instrument"]], body["answers"])


# --- The API as its schema says, end to end ----------------------------------------------------------------------


@pytest.mark.django_db
class TestTheApiAsTheSchemaSays:
    def test_a_body_that_is_not_json_is_415(self, member_api):
        response = member_api.post(reverse("api-screening-list"), "model=logistic", content_type="text/plain")
        form = member_api.post(reverse("api-token"), {"email": "a@example.com", "password": "x"}, format="multipart")

        assert response.status_code == 415
        assert form.status_code == 415
        assert form.json()["message"].startswith("Unsupported media type")

    def test_a_number_sent_as_text_is_refused_by_question(self, member_api):
        body = {"model": "logistic", "answers": {"age": "34", "sex": "female", "sleep_hours": 6.5}}

        response = member_api.post(reverse("api-screening-list"), body)

        assert response.status_code == 400
        assert response.json()["extra"]["fields"] == {"age": ["Send a whole number."]}

    def test_a_symptom_item_sent_as_text_is_refused_by_item(self, member_api):
        answers = {**ITEMS, "phq9_4": "2"}

        response = member_api.post(reverse("api-symptom-check-list"), {"instrument": "phq9", "answers": answers})

        assert response.status_code == 400
        assert list(response.json()["extra"]["fields"]) == ["phq9_4"]

    def test_a_consent_must_be_the_json_true(self, api_client):
        body = {"email": "ana@example.com", "password": "quiet-river-stone-7", "confirm_adult": "yes",
                "accept_privacy": 1}  # fmt: skip

        response = api_client.post(reverse("api-register"), body)

        assert response.status_code == 400
        assert set(response.json()["extra"]["fields"]) == {"confirm_adult", "accept_privacy"}

    @pytest.mark.parametrize("page", ["", "0", "x", "1.5", "²", "1&page=1"])
    def test_a_page_that_is_no_page_number_is_400(self, member_api, page):
        response = member_api.get(reverse("api-screening-list") + f"?page={page}")

        assert response.status_code == 400
        assert list(response.json()["extra"]["fields"]) == ["page"]

    def test_a_page_past_the_end_is_404(self, member_api):
        assert member_api.get(reverse("api-billing-ledger") + "?page=99").status_code == 404
        assert member_api.get(reverse("api-billing-ledger") + "?page=" + "9" * 5000).status_code == 404

    def test_an_unknown_instrument_filter_is_400(self, member_api):
        assert member_api.get(reverse("api-symptom-check-list") + "?instrument=phq9").status_code == 200
        response = member_api.get(reverse("api-symptom-check-list") + "?instrument=phq10")

        assert response.status_code == 400
        assert list(response.json()["extra"]["fields"]) == ["instrument"]


# --- Built once per process ----------------------------------------------------------------------------------------


def test_the_schema_is_built_once_per_language_and_then_served_from_memory(api_client, monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    built = []
    get_schema = SchemaGenerator.get_schema
    monkeypatch.setattr(SchemaGenerator, "get_schema", lambda self, **kw: built.append(1) or get_schema(self, **kw))
    url = reverse("api-schema")

    english = [api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content for _ in range(3)]
    spanish = [api_client.get(url, HTTP_ACCEPT_LANGUAGE="es").content for _ in range(2)]

    assert len(built) == 2  # once for English, once for Spanish
    assert english[0] == english[2]
    assert spanish[0] == spanish[1]
    assert english[0] != spanish[0]  # the questions' texts are translated


def test_deleting_the_account_documents_its_required_password_body(schema):
    body = schema["paths"]["/api/v1/me/"]["delete"]["requestBody"]
    component = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    assert body["required"] is True
    assert schema["components"]["schemas"][component]["required"] == ["password"]
