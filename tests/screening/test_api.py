import pytest
from django.urls import reverse

from billing.selectors import wallet_balance
from screening.models import Screening

pytestmark = pytest.mark.django_db
LIST = reverse("api-screening-list")


def detail_url(screening_id) -> str:
    return reverse("api-screening-detail", args=[screening_id])


def post(client, body, **headers):
    return client.post(LIST, body, format="json", headers=headers)


def test_submitting_answers_returns_202_with_a_link_to_the_screening(member_api, answers):
    response = post(member_api, {"model": "forest", "answers": answers})

    assert response.status_code == 202
    body = response.json()
    screening = Screening.objects.get()
    assert body["id"] == str(screening.id)
    assert body["model"] == "forest"
    assert body["cost"] == 3
    assert body["status"] in {"pending", "running", "done"}
    assert body["url"] == f"http://testserver{detail_url(screening.id)}"
    assert response["Location"] == body["url"]


def test_the_result_is_null_until_the_screening_is_done(member_api, member, answers):
    screening_id = post(member_api, {"model": "logistic", "answers": answers}).json()["id"]

    pending = member_api.get(detail_url(screening_id)).json()
    assert pending["status"] == "pending"
    assert pending["result"] is None

    from screening.services import screening_score

    screening_score(screening_id=screening_id)
    done = member_api.get(detail_url(screening_id)).json()
    assert done["status"] == "done"
    assert set(done["result"]) == {
        "probability", "risk_band", "factors", "what_ifs", "model_version", "base_rate", "interval_low", "interval_high"
    }  # fmt: skip
    assert done["result"]["interval_low"] < done["result"]["probability"] < done["result"]["interval_high"]
    assert 0 < done["result"]["base_rate"] < 1
    assert done["answers"]["age"] == answers["age"]


def test_the_same_idempotency_key_and_body_replays_without_charging(member_api, member, answers):
    body = {"model": "xgboost", "answers": answers}

    first = post(member_api, body, **{"Idempotency-Key": "abc"})
    again = post(member_api, body, **{"Idempotency-Key": "abc"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert wallet_balance(user=member)["available"] == 5


def test_the_same_idempotency_key_with_another_body_is_409(member_api, answers):
    post(member_api, {"model": "logistic", "answers": answers}, **{"Idempotency-Key": "abc"})

    response = post(member_api, {"model": "forest", "answers": answers}, **{"Idempotency-Key": "abc"})

    assert response.status_code == 409
    assert response.json()["message"] == "This Idempotency-Key was already used for a different request."


def test_invalid_answers_get_400_with_a_message_per_question(member_api, answers):
    answers.update(age=17, sleep_hours=30, smoking="sometimes")

    response = post(member_api, {"model": "logistic", "answers": answers})

    assert response.status_code == 400
    fields = response.json()["extra"]["fields"]
    assert set(fields) == {"age", "sleep_hours", "smoking"}
    assert all(isinstance(messages, list) and messages[0] for messages in fields.values())
    assert "24" in fields["sleep_hours"][0]
    assert not Screening.objects.exists()


def test_answers_that_are_not_an_object_get_a_field_error(member_api):
    response = post(member_api, {"model": "logistic", "answers": [1, 2]})

    assert response.status_code == 400
    assert "answers" in response.json()["extra"]["fields"]


def test_a_missing_body_gets_field_errors(member_api):
    response = post(member_api, {})

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"model", "answers"}


def test_an_unknown_model_is_400(member_api, answers):
    response = post(member_api, {"model": "gpt", "answers": answers})

    assert response.status_code == 400
    assert "model" in response.json()["extra"]["fields"]


def test_not_enough_credits_is_402_and_changes_nothing(api_client, broke_member, answers):
    api_client.force_authenticate(broke_member)

    response = post(api_client, {"model": "ensemble", "answers": answers})

    assert response.status_code == 402
    assert response.json()["message"] == "This model costs 7 credits and you have 0."
    assert not Screening.objects.exists()


def test_the_list_is_paginated_newest_first_and_only_mine(member_api, outsider, answers):
    first = post(member_api, {"model": "logistic", "answers": answers}).json()["id"]
    second = post(member_api, {"model": "forest", "answers": answers}).json()["id"]
    from screening.services import screening_submit

    screening_submit(user=outsider, model_key="logistic", answers=answers)

    body = member_api.get(LIST).json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [second, first]


def test_another_persons_screening_is_404_never_403(member_api, outsider, answers):
    from screening.services import screening_submit

    theirs = screening_submit(user=outsider, model_key="logistic", answers=answers).screening

    response = member_api.get(detail_url(theirs.id))

    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "extra": {}}


def test_screenings_need_authentication(api_client, answers):
    assert post(api_client, {"model": "logistic", "answers": answers}).status_code == 401
    assert api_client.get(LIST).status_code == 401


def test_an_idempotency_key_longer_than_it_can_be_stored_is_refused(member_api, answers):
    response = post(member_api, {"model": "logistic", "answers": answers}, **{"Idempotency-Key": "k" * 256})

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["extra"]["fields"]
    assert not Screening.objects.exists()


def test_an_unexpected_error_answers_500_in_the_error_shape_without_internals(member_api, answers, monkeypatch):
    from screening import api

    def broken(**kwargs):
        raise RuntimeError("secret detail: answers=...")

    monkeypatch.setattr(api, "screening_submit", broken)
    member_api.raise_request_exception = False

    response = post(member_api, {"model": "logistic", "answers": answers})

    assert response.status_code == 500
    assert response.json() == {"message": "Something went wrong on our side. Please try again.", "extra": {}}
