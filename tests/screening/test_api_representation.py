"""A screening's API body has one description, ScreeningSerializer, which both writes it and documents it: what the
API answers, in every state, is what the OpenAPI schema says."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from screening.models import Screening
from tests.core.test_openapi import validator

pytestmark = pytest.mark.django_db

FACTORS = [
    {"key": "sleep_hours", "questions": ["sleep_hours"], "text": "Sleep", "direction": "raises", "contribution": 0.4},
    {"key": "age", "questions": ["age"], "text": "Age", "direction": "lowers", "contribution": -0.25},
]
WHAT_IFS = [{"key": "sleep_hours", "instead": "7 hours", "changed": 7, "probability": 0.21}]
# With microseconds and without: isoformat() leaves the fraction out when it is zero.
CREATED = datetime.datetime(2026, 3, 29, 0, 30, 5, 123456, tzinfo=datetime.UTC)
STARTED = datetime.datetime(2026, 3, 29, 1, 0, 0, tzinfo=datetime.UTC)
FINISHED = datetime.datetime(2026, 3, 29, 1, 0, 1, 5, tzinfo=datetime.UTC)
STATES = ["pending", "running", "done", "done without a range", "failed"]


def screening_in(state: str, owner, answers) -> Screening:
    answers = {**answers, "household_size": None, "conditions": []}
    fields = {"owner": owner, "model_key": "forest", "answers": answers, "cost": 3}
    if state == "running":
        fields.update(status=Screening.Status.RUNNING, started_at=STARTED)
    elif state == "done":
        fields.update(
            status=Screening.Status.DONE, started_at=STARTED, finished_at=FINISHED, probability=0.375,
            risk_band="moderate", factors=FACTORS, what_ifs=WHAT_IFS, model_version="2026.1", base_rate=0.08,
            interval_low=0.3, interval_high=0.45,
        )  # fmt: skip
    elif state == "done without a range":
        # An older version: no 90 % range and no base rate stored; a probability that is a whole number.
        fields.update(
            status=Screening.Status.DONE, started_at=STARTED, finished_at=FINISHED, probability=1,
            risk_band="high", model_version="2025.4",
        )  # fmt: skip
    elif state == "failed":
        fields.update(status=Screening.Status.FAILED, started_at=STARTED, finished_at=FINISHED,
                      error_message="The model could not score these answers.")  # fmt: skip
    screening = Screening.objects.create(**fields)
    Screening.objects.filter(pk=screening.pk).update(created_at=CREATED)
    return screening


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


@pytest.mark.parametrize("state", STATES)
def test_a_poll_answers_what_the_schema_describes_in_every_state(state, member, member_api, answers, schema):
    screening = screening_in(state, member, answers)

    body = member_api.get(reverse("api-screening-detail", args=[screening.id])).json()

    assert validator(schema, "Screening").is_valid(body), list(validator(schema, "Screening").iter_errors(body))
    assert body["id"] == str(screening.id)
    assert body["status"] == Screening.objects.get(pk=screening.pk).status
    assert (body["result"] is None) is (state not in ("done", "done without a range"))


def test_a_done_screening_reads_as_stored(member, member_api, answers):
    screening = screening_in("done", member, answers)

    body = member_api.get(reverse("api-screening-detail", args=[screening.id])).json()

    assert body["result"] == {
        "probability": 0.375, "risk_band": "moderate", "factors": FACTORS, "what_ifs": WHAT_IFS,
        "model_version": "2026.1", "base_rate": 0.08, "interval_low": 0.3, "interval_high": 0.45,
    }  # fmt: skip
    assert (body["model"], body["model_name"], body["cost"], body["error"]) == ("forest", "Random forest", 3, "")
    assert body["url"] == f"http://testserver/api/v1/screenings/{screening.id}/"


def test_null_answers_and_dates_stay_null(member, member_api, answers):
    screening = screening_in("pending", member, answers)

    body = member_api.get(reverse("api-screening-detail", args=[screening.id])).json()

    assert (body["started_at"], body["finished_at"], body["result"]) == (None, None, None)
    assert body["answers"]["household_size"] is None
    assert body["created_at"] == "2026-03-29T00:30:05.123456Z"


def test_dates_follow_the_time_zone_in_force(member, member_api, answers):
    screening = screening_in("pending", member, answers)

    with translation.override("es"), timezone.override("America/Mexico_City"):
        body = member_api.get(reverse("api-screening-detail", args=[screening.id])).json()

    assert body["created_at"] == "2026-03-28T18:30:05.123456-06:00"


def test_a_submission_answers_what_the_schema_describes(member_api, answers, schema):
    response = member_api.post(reverse("api-screening-list"), {"model": "logistic", "answers": answers}, format="json")

    assert response.status_code in (200, 202)  # 200 where the task ran in-process before the answer
    body = response.json()
    component = "ScreeningSubmitted" if response.status_code == 202 else "Screening"
    assert validator(schema, component).is_valid(body), list(validator(schema, component).iter_errors(body))
    assert response["Location"] == body["url"]


def test_the_list_answers_what_the_schema_describes(member, member_api, answers, schema):
    for state in STATES:
        screening_in(state, member, answers)

    body = member_api.get(reverse("api-screening-list")).json()

    assert len(body["results"]) == len(STATES)
    for item in body["results"]:
        assert validator(schema, "Screening").is_valid(item)
