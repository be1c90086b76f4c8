"""The same Idempotency-Key sent at the same instant stores one check; only PostgreSQL shows a real race."""

import threading

import pytest
from django.db import connection

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
