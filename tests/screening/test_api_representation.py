"""The API writes a screening with screening_representation, not ScreeningSerializer, which describes it in the
schema: the two must give the same JSON, key order and types included, for a screening in every state."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from screening.api import (
    ScreeningSerializer,
    ScreeningSubmittedSerializer,
    screening_representation,
    screening_submitted_representation,
)
from screening.models import Screening

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
    screening.created_at = CREATED
    return screening


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def request_():
    return APIRequestFactory().get("/api/v1/screenings/", HTTP_HOST="testserver")


STATES = ["pending", "running", "done", "done without a range", "failed"]


@pytest.mark.parametrize("state", STATES)
def test_it_gives_what_the_schema_serializer_gives_in_every_state(state, member, answers, request_):
    created = screening_in(state, member, answers)
    # As created in this process (status an enum, floats as given) and as read back from the database.
    for screening in (created, Screening.objects.get(pk=created.pk)):
        expected = ScreeningSerializer(screening, context={"request": request_}).data

        assert rendered(screening_representation(screening, request=request_)) == rendered(expected)


@pytest.mark.parametrize("state", STATES)
def test_it_agrees_in_another_language_and_time_zone(state, member, answers, request_):
    screening = Screening.objects.get(pk=screening_in(state, member, answers).pk)

    with translation.override("es"), timezone.override("America/Mexico_City"):
        expected = ScreeningSerializer(screening, context={"request": request_}).data
        ours = screening_representation(screening, request=request_)

    assert rendered(ours) == rendered(expected)
    assert ours["created_at"] == "2026-03-28T18:30:05.123456-06:00"


def test_null_answers_and_dates_stay_null(member, answers, request_):
    screening = Screening.objects.get(pk=screening_in("pending", member, answers).pk)

    body = screening_representation(screening, request=request_)

    assert (body["started_at"], body["finished_at"], body["result"]) == (None, None, None)
    assert body["answers"]["household_size"] is None
    assert body["created_at"] == "2026-03-29T00:30:05.123456Z"


@pytest.mark.parametrize("state", ["pending", "done"])
def test_the_submitted_body_is_what_its_serializer_gives(state, member, answers, request_):
    screening = screening_in(state, member, answers)

    expected = ScreeningSubmittedSerializer(screening, context={"request": request_}).data

    assert rendered(screening_submitted_representation(screening, request=request_)) == rendered(expected)


@pytest.mark.parametrize("state", STATES)
def test_the_api_answers_a_poll_with_it(state, member, member_api, answers):
    screening = screening_in(state, member, answers)
    url = reverse("api-screening-detail", args=[screening.id])

    response = member_api.get(url)

    request = APIRequestFactory().get(url, HTTP_HOST="testserver")
    expected = ScreeningSerializer(Screening.objects.get(pk=screening.pk), context={"request": request}).data
    assert response.status_code == 200
    assert response.content == rendered(expected)
