"""`encryption_rotate` beside a serving site: a screening that finishes mid-rotation keeps its result.

The outside probe's case: the command read a running screening, the worker stored its result and marked it done,
and the command then wrote back the row as it had read it (no result) — a CheckViolation that aborted the run and
left every later row under the old key. Now each row is read and rewritten under its own lock.
"""

import io
import threading

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from screening.models import Screening
from tests.factories import ScreeningFactory, UserFactory

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def answers() -> dict:
    return {"age": 34, "sex": "female", "sleep_hours": 7}


def stored_tokens(screening: Screening) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT answers, probability FROM screening_screening WHERE id = %s",
            [screening.pk.hex if connection.vendor == "sqlite" else screening.pk],
        )
        return cursor.fetchone()


def under(key: str, token: str | None) -> bool:
    if token is None:
        return True
    try:
        Fernet(key).decrypt(token.encode())
    except Exception:
        return False
    return True


@pytest.mark.django_db
def test_a_second_run_rewrites_nothing_and_every_row_ends_under_the_newest_key(settings, answers):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    rows = [ScreeningFactory(answers={**answers, "age": 30 + n}) for n in range(3)]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    fresh = ScreeningFactory(answers=answers)  # written under the new key already

    first, second = io.StringIO(), io.StringIO()
    call_command("encryption_rotate", stdout=first)
    call_command("encryption_rotate", stdout=second)

    assert "screening.Screening: 3 row(s) re-encrypted" in first.getvalue()  # not the one already current
    assert "screening.Screening: 0 row(s) re-encrypted" in second.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    for row in [*rows, fresh]:
        assert all(under(NEW_KEY, token) for token in stored_tokens(row))
        assert Screening.objects.get(pk=row.pk).answers == row.answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_screening_that_finishes_mid_rotation_keeps_its_result(settings, monkeypatch, answers):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    owner = UserFactory()
    running = ScreeningFactory(owner=owner, answers=answers, status=Screening.Status.RUNNING, started_at=timezone.now())
    later = ScreeningFactory(owner=owner, answers={**answers, "age": 61})
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    # The worker stores its result the moment the command has read the running screening's row.
    finished = threading.Event()
    original = Screening.from_db.__func__

    def finish_the_screening() -> None:
        try:
            Screening.objects.filter(pk=running.pk, status=Screening.Status.RUNNING).update(
                status=Screening.Status.DONE, probability=0.31, risk_band="moderate", finished_at=timezone.now()
            )
        finally:
            connection.close()
            finished.set()

    def from_db(cls, db, field_names, values):
        instance = original(cls, db, field_names, values)
        if instance.pk == running.pk and not hasattr(from_db, "fired"):
            from_db.fired = True
            threading.Thread(target=finish_the_screening).start()
            finished.wait(timeout=1)  # it finishes at once without a row lock; with one, after this row's rewrite
        return instance

    monkeypatch.setattr(Screening, "from_db", classmethod(from_db))
    call_command("encryption_rotate", stdout=io.StringIO())
    assert finished.wait(timeout=10)

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key retired: every row must read under the new one alone
    done = Screening.objects.get(pk=running.pk)
    assert (done.status, done.probability, done.risk_band) == (Screening.Status.DONE, 0.31, "moderate")
    assert done.answers == answers
    assert Screening.objects.get(pk=later.pk).answers == {**answers, "age": 61}
    for row in (running, later):
        assert all(under(NEW_KEY, token) for token in stored_tokens(row))
