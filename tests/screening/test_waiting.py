"""GET of a screening with `Prefer: wait=N` answers when the result is stored, within a bound of waiting requests."""

import threading

import pytest
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from core.http import preferred_wait
from screening import services, waiting
from screening.models import Screening
from screening.services import screening_score, screening_submit


@pytest.fixture
def fresh_waiting():
    """Slots and listener made from this test's settings."""
    waiting._state = None
    yield
    waiting._state = None


@pytest.fixture
def not_queued(monkeypatch):
    """Submissions stay pending: no task runs until the test scores them."""
    monkeypatch.setattr(services, "_enqueue", lambda screening: None)


@pytest.fixture
def subscribed(fresh_waiting):
    """The process's listener already subscribed, as it is after a process's first wait. A request waits only
    half a second for that (screening.waiting), which a loaded machine can miss: the request then answers at once,
    and these tests are about the notification, not about that first half second."""
    state = waiting._process()
    if state.client is not None:  # without Redis a result wakes waiters of its own process only
        state.listening()
        assert state.subscribed.wait(timeout=10), "no subscription to the results channel within 10 s"


def score_soon(screening_id) -> threading.Thread:
    def score() -> None:
        try:
            screening_score(screening_id=screening_id)
        finally:
            connection.close()

    thread = threading.Timer(0.3, score)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_waiting_request_answers_with_the_result_once_it_is_stored(
    member, member_api, answers, subscribed, not_queued
):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    scorer = score_soon(screening.id)

    # Long enough that a missed notification would answer "pending" and fail this test.
    response = member_api.get(reverse("api-screening-detail", args=[screening.id]), HTTP_PREFER="wait=20")
    scorer.join()

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response.json()["result"]["probability"] is not None
    assert response["Preference-Applied"] == "wait=20"
    assert "Prefer" in response["Vary"]


@pytest.mark.django_db(transaction=True)
def test_the_result_page_waits_the_same_way(client, member, answers, subscribed, not_queued):
    client.force_login(member)
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    scorer = score_soon(screening.id)

    response = client.get(reverse("screening:status", args=[screening.id]), HTTP_PREFER="wait=20")
    scorer.join()

    assert response["Preference-Applied"] == "wait=20"
    assert "data-poll-url" not in response.content.decode()
    assert "Your estimate" in response.content.decode()


@pytest.mark.django_db
def test_when_every_waiting_slot_is_taken_it_answers_at_once_without_applying_the_wait(
    member, member_api, answers, settings, fresh_waiting, not_queued
):
    settings.SCREENING_WAIT_MAX_WAITERS = 1
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening

    with waiting.waiter("another-screening") as taken:
        assert taken is not None
        response = member_api.get(reverse("api-screening-detail", args=[screening.id]), HTTP_PREFER="wait=20")

    assert response.json()["status"] == "pending"
    assert "Preference-Applied" not in response
    with waiting.waiter(screening.id) as free_again:
        assert free_again is not None


@pytest.mark.django_db
def test_a_finished_screening_answers_at_once_and_a_request_without_prefer_never_waits(
    member, member_api, answers, django_capture_on_commit_callbacks, fresh_waiting, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    url = reverse("api-screening-detail", args=[screening.id])

    with django_assert_max_num_queries(2):  # its status, then the screening
        waited = member_api.get(url, HTTP_PREFER="wait=20")
    plain = member_api.get(url)

    assert waited.json()["status"] == plain.json()["status"] == Screening.Status.DONE
    assert waited["Preference-Applied"] == "wait=20"
    assert "Preference-Applied" not in plain


@pytest.mark.django_db(transaction=True)
def test_a_screening_still_being_scored_is_decrypted_once_after_the_wait(
    member, member_api, answers, subscribed, not_queued, monkeypatch
):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    request_thread, converted = threading.get_ident(), []
    from_db = Screening.from_db

    def counting(cls, db, field_names, values):
        loaded = from_db(db, field_names, values)
        if threading.get_ident() == request_thread:
            converted.append(loaded.status)
        return loaded

    monkeypatch.setattr(Screening, "from_db", classmethod(counting))
    scorer = score_soon(screening.id)
    response = member_api.get(reverse("api-screening-detail", args=[screening.id]), HTTP_PREFER="wait=20")
    scorer.join()

    assert response.json()["status"] == "done"
    assert converted == ["done"]  # the pending row read before the wait was never decrypted


@pytest.mark.django_db(transaction=True)
def test_a_lost_notification_answers_at_the_end_of_the_wait_with_the_screening_as_it_is_then(
    member, member_api, answers, subscribed, not_queued, monkeypatch
):
    screening = screening_submit(user=member, model_key="logistic", answers=answers).screening
    monkeypatch.setattr(waiting, "notify_finished", lambda screening_ids: None)  # the message never arrives
    scorer = score_soon(screening.id)

    response = member_api.get(reverse("api-screening-detail", args=[screening.id]), HTTP_PREFER="wait=2")
    scorer.join()

    assert response["Preference-Applied"] == "wait=2"
    assert response.json()["status"] == "done"  # read again when the wait ended, not the row seen before it


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("wait=5", 5),
        ("respond-async, wait=100", 20),
        ("Wait=2.5", 2.5),
        ("handling=lenient", 0),
        ("wait=soon", 0),
        ("wait=-3", 0),
        ("", 0),
    ],
)
def test_the_prefer_header_is_read_as_rfc_7240_says(header, seconds):
    request = RequestFactory().get("/", HTTP_PREFER=header)
    assert preferred_wait(request, maximum=20) == seconds


@pytest.mark.redis
def test_a_result_stored_by_another_process_wakes_the_waiting_request(fresh_waiting):
    import subprocess
    import sys
    from pathlib import Path

    # The listener subscribes on first use; a busy machine may need more than the half second a request allows.
    assert any(waiting._process().listening() for _ in range(20))
    with waiting.waiter("0b7c4a52-0000-4000-8000-000000000001") as waiter:
        assert waiter is not None
        # What a worker does once a batch has committed, from a process of its own.
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from screening.waiting import notify_finished; "
             "notify_finished(['0b7c4a52-0000-4000-8000-000000000001'])"],
            cwd=Path(__file__).resolve().parents[2], check=True, timeout=120,
        )  # fmt: skip
        assert waiter.wait(20)


# --- A submission that waits for its own result: one request instead of a POST and a waiting GET ---------------
SUBMIT = reverse("api-screening-list")


@pytest.mark.django_db(transaction=True)
def test_a_submission_with_prefer_wait_answers_200_with_the_result_once_it_is_stored(
    member, member_api, answers, subscribed, not_queued, settings
):
    # The queue's path (tests/screening/test_scored_in_request.py has the request's own): the task is not queued, a
    # thread scores the newest pending screening 0.3 s after the request began.
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 0

    def score_pending() -> None:
        try:
            pending = Screening.objects.filter(owner=member, status=Screening.Status.PENDING).first()
            if pending is not None:
                screening_score(screening_id=pending.id)
        finally:
            connection.close()

    scorer = threading.Timer(0.3, score_pending)
    scorer.start()
    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=20")
    scorer.join()

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "done"
    assert body["result"]["probability"] is not None
    assert response["Preference-Applied"] == "wait=20"
    assert response["Location"] == body["url"]
    assert member_api.get(body["url"]).json() == body  # the same representation GET gives


@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_result_takes_longer_than_its_wait_answers_202_as_without_it(
    member, member_api, answers, subscribed, not_queued, settings
):
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 0  # scored by the queue, which is slower than the wait
    response = member_api.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=0.3")

    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert response["Preference-Applied"] == "wait=0.3"
    assert response["Location"] == response.json()["url"]


@pytest.mark.django_db
def test_a_submission_with_every_waiting_slot_taken_answers_202_at_once(
    member, member_api, answers, settings, fresh_waiting, not_queued
):
    settings.SCREENING_WAIT_MAX_WAITERS = 1
    settings.SCREENING_SCORE_IN_REQUEST_MAX = 0  # the queue's path: a submission scored in its request never waits
    with waiting.waiter("another-screening") as taken:
        assert taken is not None
        response = member_api.post(
            SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=20"
        )

    assert response.status_code == 202
    assert "Preference-Applied" not in response


@pytest.mark.django_db
def test_a_replayed_submission_that_waits_gets_the_finished_screening_marked_as_a_replay(
    member, member_api, answers, fresh_waiting, django_capture_on_commit_callbacks
):
    # In-process tasks (no broker): the first submission is scored before its request answers.
    with django_capture_on_commit_callbacks(execute=True):
        first = member_api.post(
            SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="same-key-1"
        )
    replay = member_api.post(
        SUBMIT,
        {"model": "logistic", "answers": answers},
        format="json",
        HTTP_IDEMPOTENCY_KEY="same-key-1",
        HTTP_PREFER="wait=5",
    )

    assert first.status_code == 202
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["status"] == "done"
    assert replay["Idempotent-Replayed"] == "true"
    assert Screening.objects.filter(owner=member).count() == 1
