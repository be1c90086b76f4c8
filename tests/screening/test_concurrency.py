"""Submissions racing for the same wallet, on PostgreSQL where row locks are real."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from billing.exceptions import InsufficientCredits
from billing.selectors import wallet_balance
from screening.models import Screening
from screening.services import screening_submit
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_thirty_concurrent_submissions_with_credits_for_ten_make_exactly_ten(answers):
    user = UserFactory()  # 10 welcome credits; logistic costs 1
    barrier = threading.Barrier(30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        try:
            barrier.wait()
            screening_submit(user=user, model_key="logistic", answers={**answers, "age": 20 + n})
            result = "submitted"
        except InsufficientCredits:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("submitted") == 10
    assert outcomes.count("refused") == 20
    assert Screening.objects.filter(owner=user).count() == 10
    # Eager tasks ran on commit in each thread: every hold was captured.
    assert Screening.objects.filter(owner=user, status="done").count() == 10
    assert wallet_balance(user=user) == {"available": 0, "held": 0}
    call_command("billing_audit")


def test_the_same_idempotency_key_sent_concurrently_creates_one_screening(answers):
    user = UserFactory()
    barrier = threading.Barrier(8)
    ids: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            barrier.wait()
            submission = screening_submit(user=user, model_key="logistic", answers=answers, idempotency_key="same")
            with lock:
                ids.append(str(submission.screening.id))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(ids) == 8
    assert len(set(ids)) == 1
    assert wallet_balance(user=user)["available"] == 9
