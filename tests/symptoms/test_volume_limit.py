"""A person may store at most 20 checks in 24 hours and 6 in 10 minutes (symptoms.limits); a replay is never refused,
and a refused PHQ-9 with item 9 above 0 still opens with the crisis lines."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from symptoms.exceptions import SymptomCheckLimitReached
from symptoms.instruments import GAD7, PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.symptoms.conftest import answers_totalling

pytestmark = pytest.mark.django_db

CHECKS = reverse("api-symptom-check-list")


def earlier_checks(user, count: int, *, hours_ago: float) -> None:
    """`count` checks stored through the service, then moved `hours_ago` into the past (out of the burst window)."""
    for _ in range(count):
        check = symptom_check_submit(user=user, instrument_key="gad7", answers=answers_totalling(GAD7, 6)).check
        SymptomCheck.objects.filter(id=check.id).update(created_at=timezone.now() - timedelta(hours=hours_ago))


def test_the_21st_check_in_a_day_is_refused_over_the_api_naming_the_limit(member, member_api, phq9_answers):
    earlier_checks(member, 20, hours_ago=20)

    response = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")

    assert response.status_code == 429
    body = response.json()
    assert body["message"].startswith("You have sent 20 questionnaires in the last 24 hours")
    assert "the last 2 weeks" in body["message"]
    assert body["extra"]["limit"] == {"checks": 20, "window_seconds": 86400}
    assert body["extra"]["safety_flag"] is False
    # The oldest of the 20 leaves the window 4 hours from now.
    assert 4 * 3600 - 60 <= int(response["Retry-After"]) <= 4 * 3600
    assert body["extra"]["retry_after"] == int(response["Retry-After"])
    assert "you can send them in 4 hours" in body["message"]
    assert SymptomCheck.objects.filter(owner=member).count() == 20


def test_the_20th_check_in_a_day_is_stored(member, member_api, phq9_answers):
    earlier_checks(member, 19, hours_ago=20)
    response = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")
    assert response.status_code == 201


def test_checks_older_than_24_hours_do_not_count(member, member_api, phq9_answers):
    earlier_checks(member, 20, hours_ago=25)
    response = member_api.post(CHECKS, {"instrument": "phq9", "answers": phq9_answers}, format="json")
    assert response.status_code == 201


def test_a_seventh_check_in_ten_minutes_is_refused_with_the_burst_limit(member, member_api, gad7_answers):
    body = {"instrument": "gad7", "answers": gad7_answers}
    assert [member_api.post(CHECKS, body, format="json").status_code for _ in range(6)] == [201] * 6

    response = member_api.post(CHECKS, body, format="json")

    assert response.status_code == 429
    assert response.json()["extra"]["limit"] == {"checks": 6, "window_seconds": 600}
    assert "6 questionnaires in the last 10 minutes" in response.json()["message"]
    assert 0 < int(response["Retry-After"]) <= 600


def test_a_replay_of_an_idempotency_key_is_answered_with_its_check_not_refused(member, member_api, phq9_answers):
    earlier_checks(member, 19, hours_ago=20)
    body = {"instrument": "phq9", "answers": phq9_answers}
    first = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="last-slot")

    again = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="last-slot")
    another = member_api.post(CHECKS, body, format="json", HTTP_IDEMPOTENCY_KEY="one-more")

    assert (first.status_code, again.status_code, another.status_code) == (201, 201, 429)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"


def test_the_refusal_says_when_the_answers_would_open_the_safety_path(member, phq9_answers):
    earlier_checks(member, 20, hours_ago=1)
    with pytest.raises(SymptomCheckLimitReached) as refused:
        symptom_check_submit(user=member, instrument_key="phq9", answers={**phq9_answers, "phq9_9": 2})
    assert refused.value.safety_flag is True
    assert refused.value.extra["safety_flag"] is True


def test_the_limits_are_per_person(member, outsider, phq9_answers):
    earlier_checks(member, 20, hours_ago=1)
    assert symptom_check_submit(user=outsider, instrument_key="phq9", answers=phq9_answers).created


def test_the_web_form_refuses_the_21st_kindly_and_keeps_the_answers(client, member, phq9_answers):
    earlier_checks(member, 20, hours_ago=20)
    client.force_login(member)

    response = client.post(reverse("symptoms:new", args=["phq9"]), {**phq9_answers, "submission_key": "k"})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert 'id="over-the-limit"' in html
    assert "You have sent 20 questionnaires in the last 24 hours" in html
    assert 'name="phq9_1" value="3" id="id_phq9_1_3" checked' in html
    assert 'id="help"' in html  # the help lines, whatever the answers
    assert 'id="safety"' not in html
    assert SymptomCheck.objects.filter(owner=member).count() == 20


def test_a_refused_phq9_with_item_9_above_0_still_opens_with_the_crisis_lines(client, member):
    earlier_checks(member, 20, hours_ago=20)
    client.force_login(member)
    answers = {item.key: 0 for item in PHQ9.items} | {"phq9_9": 1}

    response = client.post(reverse("symptoms:new", args=["phq9"]), answers)

    assert response.status_code == 429
    html = response.content.decode()
    assert html.index('id="safety"') < html.index('id="help"') < html.index('id="over-the-limit"')
    assert 'href="tel:988"' in html
    assert 'name="phq9_9" value="1" id="id_phq9_9_1" checked' in html


def test_the_schema_documents_the_429_with_its_retry_after(api_client):
    schema = api_client.get(reverse("api-schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    refused = schema["paths"]["/api/v1/symptom-checks/"]["post"]["responses"]["429"]
    assert "at most 20 checks in 24 hours and 6 in 10 minutes" in refused["description"]
    assert refused["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert refused["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
