"""A submission whose client waits is scored in its own request, by the worker's services, when a slot is free.

The queue and its batches take every other submission; a transient error in the request hands the screening to
the queue, and a process that dies before its claim leaves a screening the requeue task publishes.
"""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from billing.models import LedgerEntry
from billing.selectors import wallet_balance
from screening import services, waiting
from screening.models import Screening
from screening.services import screening_requeue_unpublished, screening_score, screening_submit
from tests.screening.test_views import form_data

SUBMIT = reverse("api-screening-list")
Status = Screening.Status


@pytest.fixture
def queued(monkeypatch) -> list[str]:
    """The screenings handed to the queue, by id; nothing is published."""
    published: list[str] = []
    monkeypatch.setattr(services, "_enqueue", lambda screening: published.append(str(screening.id)) or True)
    return published


@pytest.fixture
def fresh_slots():
    waiting._state = None
    yield
    waiting._state = None


def kinds(screening: Screening) -> list[str]:
    return list(LedgerEntry.objects.filter(screening=screening).order_by("id").values_list("kind", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_submission_that_waits_is_scored_in_its_request_and_never_queued(
    member, member_api, answers, queued, fresh_slots
):
    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=20")

    body = response.json()
    screening = Screening.objects.get(id=body["id"])
    assert response.status_code == 200
    assert response["Preference-Applied"] == "wait=20"
    assert body["status"] == "done"
    assert body["result"]["probability"] == pytest.approx(screening.probability)
    assert member_api.get(body["url"]).json() == body  # the same representation GET gives
    assert queued == []
    assert screening.task_id == ""
    assert kinds(screening) == ["hold", "capture"]
    assert wallet_balance(user=member)["held"] == 0
    if connection.vendor == "postgresql":  # claimed under the web session's lease, like a worker's claim
        assert screening.claim_token is not None


@pytest.mark.django_db(transaction=True)
def test_a_submission_without_prefer_wait_goes_to_the_queue(member, member_api, answers, queued, fresh_slots):
    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json")

    assert response.status_code == 202
    assert queued == [response.json()["id"]]
    screening = Screening.objects.get(id=response.json()["id"])
    assert screening.status == Status.PENDING
    assert screening.task_id != ""


@pytest.mark.django_db(transaction=True)
def test_while_another_request_of_the_process_scores_the_queue_takes_it(
    member, member_api, answers, queued, fresh_slots, settings
):
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 1
    with waiting.scoring_slot() as taken:
        assert taken
        response = member_api.post(
            SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=1"
        )

    assert response.status_code == 202  # the queue is not running here: the wait ran out
    assert queued == [response.json()["id"]]
    with waiting.scoring_slot() as free_again:
        assert free_again


@pytest.mark.django_db(transaction=True)
def test_turned_off_every_submission_goes_to_the_queue(member, member_api, answers, queued, fresh_slots, settings):
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 0

    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=1")

    assert response.status_code == 202
    assert queued == [response.json()["id"]]


@pytest.mark.django_db(transaction=True)
def test_a_transient_database_error_while_scoring_hands_it_to_the_queue_with_its_credits_held(
    member, member_api, answers, queued, fresh_slots, monkeypatch
):
    def lost_connection(scored):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services, "_screening_settle", lost_connection)

    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=1")

    assert response.status_code == 202
    screening = Screening.objects.get(id=response.json()["id"])
    assert (screening.status, screening.task_id, screening.claim_token) == (Status.PENDING, "", None)
    assert kinds(screening) == ["hold"]
    assert wallet_balance(user=member)["held"] == screening.cost
    # The requeue task (every few seconds) publishes what never reached the queue, and the worker scores it.
    monkeypatch.undo()
    monkeypatch.setattr(services, "_enqueue", lambda s: queued.append(str(s.id)) or True)
    assert screening_requeue_unpublished() == 1
    assert queued == [str(screening.id)]
    assert screening_score(screening_id=screening.id).status == Status.DONE
    assert kinds(screening) == ["hold", "capture"]


@pytest.mark.django_db(transaction=True)
def test_a_screening_whose_request_died_before_its_claim_is_published_by_the_requeue(member, answers, queued):
    # What a web process killed between the commit and the claim leaves: pending, credits held, no task.
    submitted = screening_submit(user=member, model_key="logistic", answers=answers, score_here=True)
    Screening.objects.filter(id=submitted.screening.id).update(status=Status.PENDING, claim_token=None, task_id="")

    assert screening_requeue_unpublished() == 1
    assert queued == [str(submitted.screening.id)]


@pytest.mark.django_db(transaction=True)
def test_a_spanish_request_stores_the_same_texts_as_the_worker(member, member_api, answers, queued, fresh_slots):
    in_request = member_api.post(
        SUBMIT,
        {"model": "logistic", "answers": answers},
        format="json",
        HTTP_PREFER="wait=20",
        HTTP_ACCEPT_LANGUAGE="es",
    )
    by_the_queue = screening_submit(user=member, model_key="logistic", answers=answers).screening
    screening_score(screening_id=by_the_queue.id)

    stored = Screening.objects.get(id=in_request.json()["id"])
    by_the_queue.refresh_from_db()
    assert stored.factors == by_the_queue.factors
    assert stored.what_ifs == by_the_queue.what_ifs


@pytest.mark.django_db(transaction=True)
def test_the_web_form_shows_the_finished_check_on_the_next_page(client, member, answers, queued, fresh_slots):
    client.force_login(member)

    response = client.post(reverse("screening:new"), form_data(answers), follow=True)

    screening = Screening.objects.get(owner=member)
    assert screening.status == Status.DONE
    assert queued == []
    assert response.status_code == 200
    assert response.context["screening"].status == Status.DONE
