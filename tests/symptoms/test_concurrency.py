"""Submissions at the same instant: the same Idempotency-Key stores one check, and two for the last slot of the
day store one; only PostgreSQL shows a real race."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from symptoms.exceptions import SymptomCheckLimitReached
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_submit
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_eight_simultaneous_submissions_with_one_key_store_one_check(phq9_answers):
    user = UserFactory()
    barrier = threading.Barrier(8)
    outcomes: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def submit():
        try:
            barrier.wait()
            submission = symptom_check_submit(
                user=user, instrument_key="phq9", answers=phq9_answers, idempotency_key="tap-tap"
            )
            with lock:
                outcomes.append((str(submission.check.id), submission.created))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert SymptomCheck.objects.filter(owner=user).count() == 1
    assert len(outcomes) == 8
    assert {check_id for check_id, _ in outcomes} == {str(SymptomCheck.objects.get(owner=user).id)}
    assert sorted(created for _, created in outcomes) == [False] * 7 + [True]


def test_two_simultaneous_submissions_for_the_last_slot_of_the_day_store_one(phq9_answers):
    user = UserFactory()
    for _ in range(19):
        check = symptom_check_submit(user=user, instrument_key="phq9", answers=phq9_answers).check
        SymptomCheck.objects.filter(id=check.id).update(created_at=timezone.now() - timedelta(hours=3))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(n: int) -> None:
        try:
            barrier.wait()
            symptom_check_submit(user=user, instrument_key="phq9", answers=phq9_answers, idempotency_key=f"k{n}")
            result = "stored"
        except SymptomCheckLimitReached:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "stored"]
    assert SymptomCheck.objects.filter(owner=user).count() == 20
